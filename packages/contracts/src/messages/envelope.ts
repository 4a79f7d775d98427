import { uuidv7 } from "uuidv7";
import { z } from "zod";
import { IsoDateTime } from "../common";

/** W3C trace context `traceparent` header value. */
export const Traceparent = z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);

/** The envelope every event and command travels in; `data` is checked against the registry. */
export const Envelope = z.object({
  id: z.uuidv7(),
  type: z.string().regex(/^[A-Z][A-Za-z0-9]+$/, "expected a PascalCase message type"),
  version: z.int().min(1),
  source: z.string().min(1).max(64),
  /** Aggregate id; also the Kafka key, so one aggregate's messages stay in order. */
  subject: z.string().min(1).max(128),
  correlationId: z.string().min(1).max(128),
  causationId: z.string().min(1).max(128).nullable(),
  traceparent: Traceparent.nullable(),
  occurredAt: IsoDateTime,
  data: z.unknown(),
});
export type Envelope = z.infer<typeof Envelope>;

/** What the sender supplies; the rest of the envelope is filled in. */
export type MessageMeta = {
  source: string;
  correlationId: string;
  /** Defaults to the message definition's subject (its aggregate id). */
  subject?: string;
  causationId?: string | null;
  traceparent?: string | null;
  id?: string;
  occurredAt?: Date | string;
};

/** A new message id: UUIDv7, so ids sort by creation time. */
export function newMessageId(): string {
  return uuidv7();
}

/** Meta for a message caused by another: same correlation and trace, causation = the parent id. */
export function causedBy(
  parent: Pick<Envelope, "id" | "correlationId" | "traceparent">,
  source: string,
): MessageMeta {
  return {
    source,
    correlationId: parent.correlationId,
    causationId: parent.id,
    traceparent: parent.traceparent,
  };
}
