import { signRequest } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { accessToken, edge, env, freshIp } from "../../../test/helpers";
import { JWKS_KV_KEY, JWKS_KV_TTL_SECONDS } from "./jwks";

const CART = "/v1/cart?storeId=0190a5c0-0000-7000-8000-000000000001";

const signIn = async () =>
  edge(CART, { headers: { authorization: `Bearer ${await accessToken()}`, "cf-connecting-ip": freshIp() } });

async function purgeJwks(secret = env.PURGE_SECRET) {
  const timestamp = Date.now();
  const signature = await signRequest({ secret, method: "POST", path: "/internal/jwks/purge", timestamp });
  return edge("/internal/jwks/purge", {
    method: "POST",
    headers: { "x-edge-timestamp": String(timestamp), "x-edge-signature": signature },
  });
}

describe("JWKS cache (issue 11, item 8)", () => {
  it("keeps a fetched key set no longer than the signing keys' grace period", async () => {
    await env.JWKS.delete(JWKS_KV_KEY);
    expect((await signIn()).status).toBe(200);
    const { keys } = await env.JWKS.list({ prefix: JWKS_KV_KEY });
    const expiration = keys[0]?.expiration ?? Number.POSITIVE_INFINITY;
    expect(JWKS_KV_TTL_SECONDS).toBeLessThanOrEqual(3600);
    expect(expiration - Date.now() / 1000).toBeLessThanOrEqual(JWKS_KV_TTL_SECONDS + 1);
  });

  it("drops the cached key set when auth signals a rotation, and only on auth's signature", async () => {
    expect((await signIn()).status).toBe(200);
    expect(await env.JWKS.get(JWKS_KV_KEY)).not.toBeNull();
    expect((await purgeJwks("not-the-purge-secret-at-all")).status).toBe(401);
    expect(await env.JWKS.get(JWKS_KV_KEY)).not.toBeNull();
    expect((await purgeJwks()).status).toBe(204);
    expect(await env.JWKS.get(JWKS_KV_KEY)).toBeNull();
    // The next token refetches it.
    expect((await signIn()).status).toBe(200);
    expect(await env.JWKS.get(JWKS_KV_KEY)).not.toBeNull();
  });
});
