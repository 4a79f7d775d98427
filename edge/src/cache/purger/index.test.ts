import { describe, expect, it } from "vitest";
import { env, receivedByCore } from "../../../test/helpers";
import { CORE_DOUBLE_URL } from "../../../test/ports";
import { CloudflareApiPurger } from "./cloudflare-api";
import { KvPurger } from "./kv";

describe("purgers", () => {
  it("CloudflareApiPurger bumps every scope's version in one authenticated KV bulk write", async () => {
    const accountId = `acct-${crypto.randomUUID()}`;
    const purger = new CloudflareApiPurger({
      accountId,
      namespaceId: "ns-1",
      apiToken: "cf-token",
      apiBase: `${CORE_DOUBLE_URL}/client/v4`,
    });
    await purger.purge([
      { kind: "catalog" },
      { kind: "store", storeId: "0190a5c0-0000-7000-8000-000000000001" },
    ]);
    // The double files requests without an X-Request-Id under "".
    const sent = (await receivedByCore("")).find((request) => request.path.includes(accountId));
    expect(sent?.method).toBe("PUT");
    expect(sent?.path).toBe(`/client/v4/accounts/${accountId}/storage/kv/namespaces/ns-1/bulk`);
    expect(sent?.headers.authorization).toBe("Bearer cf-token");
    const pairs = JSON.parse(sent?.body ?? "[]") as { key: string; value: string }[];
    expect(pairs.map((pair) => pair.key)).toEqual([
      "ver:catalog",
      "ver:store=0190a5c0-0000-7000-8000-000000000001",
    ]);
  });

  it("KvPurger writes a new version for each scope through the binding", async () => {
    const before = await env.CACHE.get("ver:stores");
    await new KvPurger(env.CACHE).purge([{ kind: "stores" }]);
    const after = await env.CACHE.get("ver:stores");
    expect(after).toMatch(/^[0-9a-f]{8}$/);
    expect(after).not.toBe(before);
  });
});
