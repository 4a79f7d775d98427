import type { ShopperNotification } from "@qc/contracts";
import type { Config } from "../../shared/config";

/** Where a shopper notification is sent (a push or SMS provider). */
export interface Notifier {
  send(notification: ShopperNotification): Promise<void>;
}

export class NotifierUnavailableError extends Error {
  override name = "NotifierUnavailableError";
}

/**
 * The push provider, simulated: each send takes NOTIFIER_LATENCY_MS plus up to half of it again, and a share
 * NOTIFIER_FAILURE_RATE of sends fail as a real provider's do now and then. What was sent is recorded by the
 * worker, not here.
 */
export function notifierSimulator(
  config: Pick<Config, "NOTIFIER_LATENCY_MS" | "NOTIFIER_FAILURE_RATE">,
  random: () => number = Math.random,
): Notifier {
  return {
    async send() {
      await Bun.sleep(config.NOTIFIER_LATENCY_MS * (1 + random() / 2));
      if (random() < config.NOTIFIER_FAILURE_RATE)
        throw new NotifierUnavailableError("push provider unavailable");
    },
  };
}
