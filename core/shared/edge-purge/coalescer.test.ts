import { describe, expect, it } from "bun:test";
import type { PurgeScope } from "@qc/contracts";
import { coalescingPurger } from "./coalescer";

const store = (n: number): PurgeScope => ({
  kind: "store",
  storeId: `0193a000-0000-7000-8000-00000000000${n}`,
});

describe("coalescingPurger", () => {
  it("sends the scopes asked for within the window in one call, and settles every caller with it", async () => {
    const calls: PurgeScope[][] = [];
    const purger = coalescingPurger({ purge: async (scopes) => void calls.push([...scopes]) }, 30);
    await Promise.all([purger.purge([store(1)]), purger.purge([store(2)]), purger.purge([store(1)])]);
    expect(calls).toEqual([[store(1), store(2), store(1)]]);
    await purger.purge([store(3)]);
    expect(calls).toHaveLength(2);
  });

  it("rejects every caller of a failed call", async () => {
    const purger = coalescingPurger({ purge: () => Promise.reject(new Error("edge down")) }, 10);
    const results = await Promise.allSettled([purger.purge([store(1)]), purger.purge([store(2)])]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected"]);
  });
});
