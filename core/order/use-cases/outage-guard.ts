import type { Bus } from "../../shared/bus";
import type { Logger } from "../../shared/telemetry/logger";

/**
 * Whether the saga's deadlines may fire now. A deadline measures a participant's step, not our own outage:
 * while the broker does not answer no deadline fires, and once it is back `onRecovered` runs (the order
 * service pushes every pending deadline to at least the grace period from now, time for consumer groups to
 * rejoin and the backlog to drain), so a checkout delayed by a broker restart completes instead of being
 * rejected. Each order instance judges by what its own bus sees.
 */
export function deadlinesMayFire(
  bus: Bus,
  logger: Logger,
  onRecovered: () => Promise<unknown>,
): () => Promise<boolean> {
  let down = false;
  return async () => {
    if (!(await bus.isHealthy())) {
      if (!down) logger.warn("Kafka unreachable: saga deadlines paused until it is back");
      down = true;
      return false;
    }
    if (down) {
      await onRecovered();
      down = false;
      logger.info("Kafka is back: pending saga deadlines extended by the grace period");
    }
    return true;
  };
}
