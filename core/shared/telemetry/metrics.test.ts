import { describe, expect, it } from "bun:test";
import { policyFor } from "../resilience";
import { metrics, registry } from "./metrics";

/** The current value of one labelled series of a metric in the process registry. */
const sampleOf = async (name: string, labels: Record<string, string>) => {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
  const sample = values.find((v) => Object.entries(labels).every(([key, value]) => v.labels[key] === value));
  return sample?.value;
};

describe("metrics", () => {
  it("show a downstream's breaker opening and closing again", async () => {
    const policy = policyFor("flaky-provider", { retries: 0, breakAfter: 2, halfOpenAfterMs: 50 });
    expect(await sampleOf("circuit_breaker_state", { dependency: "flaky-provider" })).toBe(0);
    for (let i = 0; i < 2; i++) {
      await policy.execute(async () => Promise.reject(new Error("down"))).catch(() => {});
    }
    expect(await sampleOf("circuit_breaker_state", { dependency: "flaky-provider" })).toBe(2);
    await Bun.sleep(60);
    await policy.execute(async () => "ok");
    expect(await sampleOf("circuit_breaker_state", { dependency: "flaky-provider" })).toBe(0);
    expect(
      await sampleOf("circuit_breaker_transitions_total", { dependency: "flaky-provider", state: "open" }),
    ).toBe(1);
  });

  it("count the calls a full bulkhead refuses", async () => {
    const policy = policyFor("slow-service", { concurrency: 1, queue: 0, retries: 0 });
    const slow = policy.execute(() => Bun.sleep(30));
    const refused = await Promise.allSettled([
      policy.execute(async () => {}),
      policy.execute(async () => {}),
    ]);
    await slow;
    expect(refused.every((result) => result.status === "rejected")).toBe(true);
    expect(await sampleOf("bulkhead_rejections_total", { dependency: "slow-service" })).toBe(2);
  });

  it("record saga outcomes by reason and checkout latency", async () => {
    metrics.sagaOutcome("rejected", "OUT_OF_STOCK");
    metrics.sagaOutcome("rejected", "OUT_OF_STOCK");
    metrics.sagaOutcome("confirmed");
    metrics.checkoutConfirmed(1.5);
    expect(await sampleOf("saga_outcomes_total", { outcome: "rejected", reason: "OUT_OF_STOCK" })).toBe(2);
    expect(await sampleOf("saga_outcomes_total", { outcome: "confirmed", reason: "" })).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('checkout_to_confirmed_seconds_bucket{le="2"} 1');
  });
});
