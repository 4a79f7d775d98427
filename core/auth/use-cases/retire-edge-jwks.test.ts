import { afterAll, describe, expect, it } from "bun:test";
import { EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, verifyRequest } from "@qc/contracts";
import { loadConfig } from "../../shared/config";
import { createLogger } from "../../shared/telemetry/logger";
import { JWKS_PURGE_PATH, retireEdgeJwks } from "./retire-edge-jwks";

// Stands in for the edge's POST /internal/jwks/purge, checking what the edge checks.
const calls: { path: string; ok: boolean }[] = [];
const edge = Bun.serve({
  port: 0,
  async fetch(request) {
    const url = new URL(request.url);
    const verdict = await verifyRequest({
      secret: "purge-secret-for-this-test-only-0123456789",
      method: request.method,
      path: url.pathname,
      timestamp: request.headers.get(EDGE_TIMESTAMP_HEADER),
      signature: request.headers.get(EDGE_SIGNATURE_HEADER),
      body: await request.text(),
      now: Date.now(),
    });
    calls.push({ path: url.pathname, ok: verdict.ok });
    return new Response(null, { status: verdict.ok ? 204 : 401 });
  },
});
afterAll(() => edge.stop(true));

const logger = createLogger("auth", "silent");

describe("retireEdgeJwks (issue 11, item 8)", () => {
  it("asks the edge to drop its cached JWKS, signed with the purge secret", async () => {
    const config = loadConfig({
      EDGE_PURGER: "edge",
      EDGE_URL: `http://127.0.0.1:${edge.port}`,
      PURGE_SECRET: "purge-secret-for-this-test-only-0123456789",
    });
    expect(await retireEdgeJwks(config, logger)).toBe(true);
    expect(calls.at(-1)).toEqual({ path: JWKS_PURGE_PATH, ok: true });
  });

  it("reports a refusal without failing the rotation", async () => {
    const config = loadConfig({
      EDGE_PURGER: "edge",
      EDGE_URL: `http://127.0.0.1:${edge.port}`,
      PURGE_SECRET: "another-secret-the-edge-does-not-know",
    });
    expect(await retireEdgeJwks(config, logger)).toBe(false);
  });
});
