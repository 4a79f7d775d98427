import { afterEach, describe, expect, it, vi } from "vitest";
import { BreakerOpenError, CircuitBreaker } from "./breaker";

const fail = () => Promise.reject(new Error("down"));
const succeed = () => Promise.resolve("ok");

async function failTimes(breaker: CircuitBreaker, times: number) {
  for (let i = 0; i < times; i++) await breaker.run(fail).catch(() => undefined);
}

describe("CircuitBreaker", () => {
  afterEach(() => vi.useRealTimers());

  it("opens after the threshold of consecutive failures and then fails fast", async () => {
    const breaker = new CircuitBreaker({ threshold: 3, openMs: 1_000 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe("closed");
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    const task = vi.fn(succeed);
    await expect(breaker.run(task)).rejects.toBeInstanceOf(BreakerOpenError);
    expect(task).not.toHaveBeenCalled();
  });

  it("lets one probe through after openMs, closes on its success and re-opens on its failure", async () => {
    vi.useFakeTimers({ now: 0 });
    const breaker = new CircuitBreaker({ threshold: 1, openMs: 1_000 });
    await failTimes(breaker, 1);
    vi.setSystemTime(1_001);
    expect(breaker.state).toBe("half-open");
    await failTimes(breaker, 1);
    expect(breaker.state).toBe("open");
    vi.setSystemTime(2_002);
    await expect(breaker.run(succeed)).resolves.toBe("ok");
    expect(breaker.state).toBe("closed");
  });

  it("fails other calls fast while the probe is in flight, and gives up on a probe that never reports", async () => {
    vi.useFakeTimers({ now: 0 });
    const breaker = new CircuitBreaker({ threshold: 1, openMs: 1_000 });
    await failTimes(breaker, 1);
    vi.setSystemTime(1_001);
    void breaker.run(() => new Promise(() => undefined)); // a probe whose request was cancelled
    await expect(breaker.run(succeed)).rejects.toBeInstanceOf(BreakerOpenError);
    vi.setSystemTime(2_002);
    await expect(breaker.run(succeed)).resolves.toBe("ok");
  });

  it("counts results the caller calls failures, such as 5xx answers", async () => {
    const breaker = new CircuitBreaker({ threshold: 2 });
    for (let i = 0; i < 2; i++)
      await breaker.run(
        () => Promise.resolve(500),
        (status) => status >= 500,
      );
    expect(breaker.state).toBe("open");
  });
});
