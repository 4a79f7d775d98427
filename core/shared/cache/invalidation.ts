import { type AnyMessage, parseMessage, type TopicName, withPrefix } from "@qc/contracts";
import type { Bus } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";

export interface InvalidationOptions {
  /** Names this cache's consumer groups: `<name>-invalidation-<instance>`. */
  name: string;
  topics: TopicName[];
  /** The cache key a message makes stale, or null when it concerns no cached entry. */
  keyOf: (message: AnyMessage) => string | null;
  invalidate: (key: string) => void;
}

export interface InvalidationDeps {
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
}

/**
 * Drops this process's cached copies when the events say the data changed. Every instance joins with a
 * consumer group of its own, so each one sees every event (a shared group would hand each event to one
 * instance only). It starts at the latest offset and skips the inbox: dropping a local entry is idempotent,
 * and an instance that just started has nothing stale to drop.
 */
export async function invalidateOnEvents(
  options: InvalidationOptions,
  deps: InvalidationDeps,
): Promise<Stoppable> {
  return deps.bus.subscribe({
    groupId: `${options.name}-invalidation-${crypto.randomUUID()}`,
    topics: options.topics.map((topic) => withPrefix(deps.topicPrefix, topic)),
    fromBeginning: false,
    handle: async (record) => {
      try {
        const key = options.keyOf(parseMessage(JSON.parse(record.value ?? "")));
        if (key) options.invalidate(key);
      } catch (error) {
        // A message we cannot read cannot name a key; the local TTL bounds how stale that leaves us.
        deps.logger.warn({ err: error, topic: record.topic }, "unreadable invalidation message skipped");
      }
    },
  });
}
