import { stringDeserializers, stringSerializers } from "@platformatic/kafka";

export interface KafkaBusOptions {
  brokers: string[];
  clientId: string;
  /**
   * A name this process keeps across restarts (the service's instance: a StatefulSet pod's name, the dev
   * supervisor's service name). When set, every group member of this bus is a static member (KIP-345): a
   * restarted process takes its partitions straight back instead of waiting out the session timeout and a
   * rebalance of the whole group. Two live processes must never share it (the broker fences one of them).
   */
  instanceId?: string;
}

/** What every client of one bus shares: where the brokers are, and plain strings in and out. */
export const clientOptions = (options: KafkaBusOptions, role: string) => ({
  clientId: `${options.clientId}-${role}`,
  bootstrapBrokers: options.brokers,
  // What the broker is asked to finish a request within (the socket's own deadline is `requestTimeout`, set
  // per client: a consumer's JoinGroup may rightly wait a whole rebalance); a failed request is retried with
  // a short delay, so after a broker restart everything resumes within ~2 s of the broker answering.
  timeout: 5_000,
  retries: 5,
  retryDelay: 300,
  // Kafka's own clients refresh metadata every 5 minutes (metadata.max.age.ms); this client's default of 5 s
  // had the producers and consumers of every service ask the broker for it several times a second between them.
  // A moved leader or a deleted topic answers an error that makes the client refresh at once.
  metadataMaxAge: 300_000,
});

export const strings = { serializers: stringSerializers, deserializers: stringDeserializers };

/**
 * A client failure as one short error: the client nests an error per broker and per retry (with a stack each),
 * which would print as a page of JSON for every failed batch while a broker restarts. The distinct causes
 * at the bottom are what an operator needs.
 */
export function compactError(operation: string, error: unknown): Error {
  const leaves = (one: unknown): string[] => {
    const nested = (one as { errors?: unknown[] })?.errors;
    if (Array.isArray(nested) && nested.length > 0) return nested.flatMap(leaves);
    return [one instanceof Error ? one.message : String(one)];
  };
  return new Error(`${operation} failed: ${[...new Set(leaves(error))].join("; ")}`);
}
