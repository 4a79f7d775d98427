import type { Bus } from "../bus";
import type { Stoppable } from "../runtime/context";
import { every } from "../runtime/every";
import type { Logger } from "../telemetry/logger";
import { metrics } from "../telemetry/metrics";

/** How often a service reads its groups' lag: well inside the 5 min of ConsumerLagHigh, cheap for Kafka. */
export const LAG_SAMPLE_INTERVAL_MS = 5_000;

/**
 * Exports `kafka_consumer_lag{group,topic,partition}` for every consumer group the service runs (each
 * group it subscribed through its bus), read every `intervalMs`. While the broker is down the gauge keeps
 * its last values and one warning is logged per outage, not one per round.
 */
export function startLagSampler(bus: Bus, logger: Logger, intervalMs = LAG_SAMPLE_INTERVAL_MS): Stoppable {
  let failing = false;
  return every(
    intervalMs,
    async () => {
      try {
        for (const { group, topic, partition, lag } of await bus.consumerLag()) {
          metrics.consumerLag(group, topic, partition, lag);
        }
        if (failing) logger.info("consumer lag readable again");
        failing = false;
      } catch (error) {
        if (!failing) logger.warn({ err: error }, "consumer lag unreadable (broker down?)");
        failing = true;
      }
    },
    logger,
    "consumer lag sample",
  );
}
