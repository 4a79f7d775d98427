import { type AnyMessage, createMessage, type MessageType, topicOf, withPrefix } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { RunningService } from "../runtime/service";

type Data<T extends MessageType> = Parameters<typeof createMessage<T>>[1];

/** Publishes a message to a running service's (prefixed) topic, as another service's relay would. */
export async function publish<T extends MessageType>(
  service: RunningService,
  type: T,
  data: Data<T>,
  meta: { id?: string; correlationId?: string } = {},
): Promise<AnyMessage> {
  // Data<T> is exactly createMessage's parameter, but TypeScript cannot see that through the generic.
  const message = createMessage(type, data as never, {
    source: "test",
    correlationId: meta.correlationId ?? Bun.randomUUIDv7(),
    id: meta.id,
  }) as AnyMessage;
  await service.ctx.bus.publish([
    {
      topic: withPrefix(service.ctx.config.TOPIC_PREFIX, topicOf(message.type)),
      key: message.subject,
      value: JSON.stringify(message),
    },
  ]);
  return message;
}

/** The messages a service has written to its outbox about one subject (e.g. an order), oldest first. */
export async function outboxOf(db: Kysely<any>, subject: string, type?: string): Promise<AnyMessage[]> {
  let query = db.selectFrom("outbox").select("payload").where("key", "=", subject).orderBy("seq");
  if (type) query = query.where("type", "=", type);
  return (await query.execute()).map((row) => row.payload as AnyMessage);
}

/** Waits until the outbox holds `count` messages of a type about a subject; fails after `timeoutMs`. */
export async function awaitOutbox(
  db: Kysely<any>,
  subject: string,
  type: string,
  { count = 1, timeoutMs = 15_000 } = {},
): Promise<AnyMessage[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await outboxOf(db, subject, type);
    if (found.length >= count) return found;
    if (Date.now() > deadline) throw new Error(`no ${count}× ${type} for ${subject} within ${timeoutMs} ms`);
    await Bun.sleep(50);
  }
}
