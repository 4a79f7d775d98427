import { afterEach, describe, expect, it } from "bun:test";
import { policyFor } from "../resilience";
import { CloudflareKvPurger } from "./cloudflare-kv";
import { type KvSimulator, type KvSimulatorOptions, startKvSimulator } from "./cloudflare-kv-simulator";
import { isTransientPurgeError, PurgeFailedError } from "./purger";

const account = { accountId: "acc-1", namespaceId: "ns-cache", apiToken: "cf-token-1" };
const storeId = "0193a000-0000-7000-8000-0000000000aa";
let simulator: KvSimulator | undefined;
afterEach(() => simulator?.stop());

const purgerAgainst = (options: Partial<KvSimulatorOptions> = {}, apiToken = account.apiToken) => {
  simulator = startKvSimulator({ ...account, ...options });
  return new CloudflareKvPurger({
    ...account,
    apiToken,
    apiBase: simulator.apiBase,
    policy: policyFor(`cf-test-${crypto.randomUUID()}`, { retries: 6, isTransient: isTransientPurgeError }),
  });
};

describe("CloudflareKvPurger against the KV REST API simulator", () => {
  it("writes a new version for every scope, under the keys the edge reads, in one bulk write", async () => {
    const purger = purgerAgainst();
    await purger.purge([{ kind: "catalog" }, { kind: "store", storeId }, { kind: "catalog" }]);
    expect([...(simulator?.values.keys() ?? [])]).toEqual(["ver:catalog", `ver:store=${storeId}`]);
    expect(simulator?.statuses).toEqual([200]);
    const first = simulator?.values.get("ver:catalog");
    await purger.purge([{ kind: "catalog" }]);
    expect(simulator?.values.get("ver:catalog")).not.toBe(first);
  });

  it("fails without retrying when the token is refused", async () => {
    const purger = purgerAgainst({}, "wrong-token");
    const failure = await purger.purge([{ kind: "stores" }]).catch((error) => error);
    expect(failure).toBeInstanceOf(PurgeFailedError);
    expect((failure as PurgeFailedError).status).toBe(403);
    expect(simulator?.statuses).toEqual([403]);
    expect(simulator?.values.size).toBe(0);
  });

  it("retries after a 429 until the rate limit window lets the write through", async () => {
    const purger = purgerAgainst({ rateLimit: { requests: 1, windowMs: 300 }, latencyMs: 20 });
    await purger.purge([{ kind: "catalog" }]);
    await purger.purge([{ kind: "store", storeId }]);
    expect(simulator?.statuses).toContain(429);
    expect(simulator?.statuses.at(-1)).toBe(200);
    expect(simulator?.values.has(`ver:store=${storeId}`)).toBe(true);
  });
});
