const DAY_MS = 24 * 60 * 60 * 1000;

export type TopicConfig = { partitions: number; retentionMs: number };

// A consumer hands every partition of a fetch to one transaction (group commit), so partitions are not
// what bounds throughput: enough for a few instances of each service to share, few enough that a fetch
// stays cheap (a client decodes every partition of every fetch response, empty or not).
const busy = { partitions: 4, retentionMs: 7 * DAY_MS } as const;
const quiet = { partitions: 3, retentionMs: 7 * DAY_MS } as const;

/**
 * Every topic, named `<context>.<events|commands|replies>.v<major>`; keys are aggregate ids. Saga replies
 * have their own topics, so the orchestrator reads only its replies and public subscribers only facts.
 */
export const topics = {
  "order.events.v1": busy,
  "inventory.commands.v1": busy,
  "inventory.replies.v1": busy,
  "inventory.events.v1": busy,
  "payment.commands.v1": busy,
  "payment.replies.v1": busy,
  "delivery.commands.v1": busy,
  "delivery.replies.v1": busy,
  "delivery.events.v1": busy,
  "catalog.events.v1": quiet,
  "pricing.events.v1": quiet,
  "cart.events.v1": quiet,
  "auth.events.v1": quiet,
} as const satisfies Record<string, TopicConfig>;

export type TopicName = keyof typeof topics;
export const topicNames = Object.keys(topics) as TopicName[];

/** Dead letters keep longer so they can be inspected and replayed. */
export const DLQ_RETENTION_MS = 14 * DAY_MS;
export const DLQ_PARTITIONS = 1;

/** The dead-letter topic of a topic. */
export function dlqTopic(topic: string): string {
  return `${topic}.dlq`;
}

/** Prefixes a topic so test runs on a shared broker stay isolated (`TOPIC_PREFIX`). */
export function withPrefix(prefix: string | undefined, topic: string): string {
  if (!prefix) return topic;
  return `${prefix.replace(/\.+$/, "")}.${topic}`;
}

export type TopicDeclaration = { name: string; partitions: number; retentionMs: number };

/** Every topic and its dead-letter topic, prefixed, ready to be created at start-up. */
export function topicDeclarations(prefix = ""): TopicDeclaration[] {
  return topicNames.flatMap((topic) => [
    { name: withPrefix(prefix, topic), ...topics[topic] },
    { name: withPrefix(prefix, dlqTopic(topic)), partitions: DLQ_PARTITIONS, retentionMs: DLQ_RETENTION_MS },
  ]);
}
