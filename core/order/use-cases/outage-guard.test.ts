import { describe, expect, it } from "bun:test";
import type { Bus } from "../../shared/bus";
import { createLogger } from "../../shared/telemetry/logger";
import { deadlinesMayFire } from "./outage-guard";

const busThat = (healthy: () => boolean) => ({ isHealthy: async () => healthy() }) as unknown as Bus;

describe("saga deadlines around a broker outage", () => {
  it("fire on a healthy bus, pause while it is down, and are extended once when it is back", async () => {
    let up = true;
    let extended = 0;
    const mayFire = deadlinesMayFire(
      busThat(() => up),
      createLogger("test", "silent"),
      async () => {
        extended++;
      },
    );
    expect(await mayFire()).toBe(true);
    up = false;
    expect(await mayFire()).toBe(false);
    expect(await mayFire()).toBe(false);
    expect(extended).toBe(0);
    up = true;
    expect(await mayFire()).toBe(true);
    expect(await mayFire()).toBe(true);
    expect(extended).toBe(1);
  });
});
