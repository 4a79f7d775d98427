import { describe, expect, it } from "bun:test";
import { createLogger } from "../telemetry/logger";
import { every } from "./every";

const logger = createLogger("every-test", "silent");

describe("every", () => {
  it("stops at once when stop() comes while a round is running, not after the interval", async () => {
    const { promise: entered, resolve: enter } = Promise.withResolvers<void>();
    const { promise: release, resolve: finish } = Promise.withResolvers<void>();
    const task = every(
      60 * 60 * 1000,
      async () => {
        enter();
        await release;
      },
      logger,
      "hourly work",
    );
    await entered;
    const stopped = task.stop();
    finish();
    const outcome = await Promise.race([
      stopped.then(() => "stopped"),
      Bun.sleep(2_000).then(() => "waiting"),
    ]);
    expect(outcome).toBe("stopped");
  });
});
