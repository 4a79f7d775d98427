import { withPrefix } from "@qc/contracts";
import {
  type AsyncMessage,
  type Channel,
  Connection,
  ConsumerStatus,
  type SyncMessage,
} from "rabbitmq-client";
import type { Logger } from "../telemetry/logger";
import { injectTraceHeaders } from "../telemetry/tracing";
import {
  type Delivery,
  type Queue,
  QueueUnavailableError,
  type WorkQueueFamily,
  type WorkQueues,
} from "./index";

const ATTEMPT_HEADER = "x-attempt";
// W3C trace context and baggage (the order id) ride as AMQP headers, as they do as HTTP and Kafka headers.
const TRACE_HEADERS = ["traceparent", "tracestate", "baggage"] as const;

/** The trace headers of a received message, to continue its producer's trace. */
const traceOf = (headers: Record<string, unknown> | undefined): Record<string, string> =>
  Object.fromEntries(
    TRACE_HEADERS.flatMap((name) => (typeof headers?.[name] === "string" ? [[name, headers[name]]] : [])),
  );
// A request waiting for a channel gives up after this while the broker is away (the caller answers 503);
// reconnect attempts back off to at most RETRY_HIGH_MS, so work resumes soon after the broker is back.
const ACQUIRE_TIMEOUT_MS = 3_000;
const RETRY_HIGH_MS = 2_000;

/** Runs a broker call; a failure of the broker itself becomes a QueueUnavailableError. */
async function onBroker<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof QueueUnavailableError) throw error;
    throw new QueueUnavailableError(`work queue broker: ${(error as Error).message}`, { cause: error });
  }
}

// What this process declared under each prefix, so a test run can delete its own exchanges and queues.
const declared = new Map<string, { exchanges: Set<string>; queues: Set<string> }>();
const remember = (prefix: string, kind: "exchanges" | "queues", name: string) => {
  const names = declared.get(prefix) ?? { exchanges: new Set(), queues: new Set() };
  declared.set(prefix, names);
  names[kind].add(name);
};

type Settle = {
  ack(): Promise<void>;
  drop(): Promise<void>;
  requeue(): Promise<void>;
};

/**
 * The work-queue broker over RabbitMQ (rabbitmq-client: reconnects on its own; publishes wait for the
 * broker's confirm). Exchanges and queues are durable, items persistent, so a broker restart loses nothing.
 */
export function createRabbitQueue(options: {
  url: string;
  prefix?: string;
  /** Queues the broker deletes once unused this long, exchanges once unbound (test runs); none by default. */
  expiresMs?: number;
  logger: Logger;
}): Queue {
  const prefix = options.prefix ?? "";
  const expiring = options.expiresMs ? { "x-expires": options.expiresMs } : {};
  const autoDelete = options.expiresMs !== undefined;
  const { logger } = options;
  const rabbit = new Connection({
    url: options.url,
    connectionName: logger.bindings().service,
    acquireTimeout: ACQUIRE_TIMEOUT_MS,
    retryHigh: RETRY_HIGH_MS,
  });
  rabbit.on("error", (error) => logger.warn({ err: error }, "rabbitmq connection error"));
  const publisher = rabbit.createPublisher({ confirm: true, maxAttempts: 3 });
  const held = new Set<Channel>();
  const consumers = new Set<{ close(): Promise<void> }>();

  const closeQuietly = async (channel: Channel) => {
    held.delete(channel);
    if (channel.active) await channel.close().catch(() => {});
  };

  function workQueues<T>(family: WorkQueueFamily<T>): WorkQueues<T> {
    const name = (suffix: string) => withPrefix(prefix, `${family.name}.${suffix}`);
    const exchange = withPrefix(prefix, family.name);
    const retryExchange = name("retry");
    const deadExchange = name("dead");
    const retryQueue = name("retry");
    const deadLetterQueue = name("dead");
    const queueOf = (key: string) => name(`q.${key}`);

    let familyDeclared: Promise<void> | undefined;
    const declareFamily = () => {
      familyDeclared ??= (async () => {
        await rabbit.exchangeDeclare({ exchange, type: "direct", durable: true, autoDelete });
        await rabbit.exchangeDeclare({ exchange: retryExchange, type: "fanout", durable: true, autoDelete });
        await rabbit.exchangeDeclare({ exchange: deadExchange, type: "fanout", durable: true, autoDelete });
        // A retried item waits here, then expires back to the family's exchange with its own routing key.
        await rabbit.queueDeclare({
          queue: retryQueue,
          durable: true,
          arguments: {
            "x-message-ttl": family.retryDelayMs,
            "x-dead-letter-exchange": exchange,
            ...expiring,
          },
        });
        await rabbit.queueBind({ queue: retryQueue, exchange: retryExchange });
        await rabbit.queueDeclare({ queue: deadLetterQueue, durable: true, arguments: expiring });
        await rabbit.queueBind({ queue: deadLetterQueue, exchange: deadExchange });
        for (const made of [exchange, retryExchange, deadExchange]) remember(prefix, "exchanges", made);
        for (const made of [retryQueue, deadLetterQueue]) remember(prefix, "queues", made);
      })().catch((error) => {
        familyDeclared = undefined;
        throw error;
      });
      return familyDeclared;
    };

    const keysDeclared = new Map<string, Promise<void>>();
    const declareKey = (key: string) => {
      let done = keysDeclared.get(key);
      if (!done) {
        done = (async () => {
          await declareFamily();
          const queue = queueOf(key);
          await rabbit.queueDeclare({
            queue,
            durable: true,
            arguments: {
              "x-dead-letter-exchange": deadExchange,
              ...(family.maxPriority ? { "x-max-priority": family.maxPriority } : {}),
              ...expiring,
            },
          });
          await rabbit.queueBind({ queue, exchange, routingKey: key });
          remember(prefix, "queues", queue);
        })().catch((error) => {
          keysDeclared.delete(key);
          throw error;
        });
        keysDeclared.set(key, done);
      }
      return done;
    };
    const declare = async (...keys: string[]) => {
      await declareFamily();
      await Promise.all(keys.map(declareKey));
    };

    const send = (
      target: string,
      key: string,
      body: unknown,
      headers: { messageId: string; priority: number; attempt: number; trace: Record<string, string> },
    ) =>
      publisher.send(
        {
          exchange: target,
          routingKey: key,
          durable: true,
          contentType: "application/json",
          messageId: headers.messageId,
          priority: headers.priority,
          headers: { ...headers.trace, [ATTEMPT_HEADER]: headers.attempt },
        },
        body,
      );

    /** Wraps a received message; a body the schema refuses is dead-lettered and yields null. */
    async function delivery(
      message: SyncMessage | AsyncMessage,
      settle: Settle,
    ): Promise<Delivery<T> | null> {
      const parsed = family.schema.safeParse(message.body);
      if (!parsed.success) {
        logger.error(
          { queue: family.name, messageId: message.messageId },
          "unreadable work item dead-lettered",
        );
        await settle.drop();
        return null;
      }
      const attempt = Number(message.headers?.[ATTEMPT_HEADER] ?? 1);
      const meta = {
        messageId: message.messageId ?? "",
        priority: message.priority ?? 0,
        attempt,
        trace: traceOf(message.headers),
      };
      return {
        body: parsed.data,
        ...meta,
        ack: settle.ack,
        deadLetter: settle.drop,
        release: settle.requeue,
        async retryLater() {
          await send(retryExchange, message.routingKey, parsed.data, { ...meta, attempt: attempt + 1 });
          await settle.ack();
        },
      };
    }

    return {
      queueOf,
      deadLetterQueue,
      declare,
      async publish(key, body, { messageId, priority = 0 }) {
        const item = family.schema.parse(body);
        await onBroker(async () => {
          await declare(key);
          // The active span (the publisher's) is the parent of whoever takes the item.
          await send(exchange, key, item, { messageId, priority, attempt: 1, trace: injectTraceHeaders() });
        });
      },
      async take(key) {
        await onBroker(() => declare(key));
        for (;;) {
          const channel = await onBroker(() => rabbit.acquire());
          held.add(channel);
          try {
            const message = await onBroker(() => channel.basicGet({ queue: queueOf(key) }));
            if (!message) {
              await closeQuietly(channel);
              return null;
            }
            const { deliveryTag } = message;
            const item = await delivery(message, {
              ack: async () => {
                await channel.basicAck({ deliveryTag });
                await closeQuietly(channel);
              },
              drop: async () => {
                await channel.basicNack({ deliveryTag, requeue: false });
                await closeQuietly(channel);
              },
              requeue: async () => {
                await channel.basicNack({ deliveryTag, requeue: true });
                await closeQuietly(channel);
              },
            });
            if (item) return item;
          } catch (error) {
            await closeQuietly(channel);
            throw error;
          }
        }
      },
      consume(key, { prefetch }, handle) {
        const consumer = rabbit.createConsumer(
          {
            queue: queueOf(key),
            // Declared by `declare` with its arguments; the consumer only checks that it is there.
            queueOptions: { passive: true },
            qos: { prefetchCount: prefetch },
            concurrency: prefetch,
            requeue: true,
            lazy: true,
          },
          async (message) => {
            // The consumer acks or nacks once the handler returns; settling only chooses which.
            let outcome = ConsumerStatus.ACK;
            const item = await delivery(message, {
              ack: async () => {
                outcome = ConsumerStatus.ACK;
              },
              drop: async () => {
                outcome = ConsumerStatus.DROP;
              },
              requeue: async () => {
                outcome = ConsumerStatus.REQUEUE;
              },
            });
            if (!item) return ConsumerStatus.DROP;
            await handle(item);
            return outcome;
          },
        );
        consumer.on("error", (error) =>
          logger.warn({ err: error, queue: queueOf(key) }, "work queue consumer"),
        );
        consumers.add(consumer);
        const started = declare(key).then(() => consumer.start());
        started.catch((error) => logger.error({ err: error, queue: queueOf(key) }, "consumer did not start"));
        return {
          async stop() {
            consumers.delete(consumer);
            await started.catch(() => {});
            await consumer.close();
          },
        };
      },
      async takeDeadLetter() {
        await declareFamily();
        const message = await rabbit.basicGet({ queue: deadLetterQueue, noAck: true });
        if (!message) return null;
        return {
          body: message.body,
          messageId: message.messageId ?? "",
          attempt: Number(message.headers?.[ATTEMPT_HEADER] ?? 1),
        };
      },
    };
  }

  return {
    workQueues,
    isHealthy: () => rabbit.ready,
    async close() {
      await Promise.all([...consumers].map((consumer) => consumer.close()));
      await Promise.all([...held].map(closeQuietly));
      await publisher.close();
      await rabbit.close();
    },
  };
}

/** Deletes every exchange and queue this process declared under `prefix` (the end of a test run). */
export async function deleteDeclaredQueues(url: string, prefix: string): Promise<void> {
  const names = declared.get(prefix);
  if (!names || prefix === "") return;
  declared.delete(prefix);
  const rabbit = new Connection(url);
  try {
    for (const queue of names.queues) await rabbit.queueDelete({ queue });
    for (const exchange of names.exchanges) await rabbit.exchangeDelete({ exchange });
  } finally {
    await rabbit.close();
  }
}
