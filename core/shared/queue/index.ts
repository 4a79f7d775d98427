import type { z } from "zod";
import type { Stoppable } from "../runtime/context";

/**
 * A family of work queues: work that people or workers pull and acknowledge (RabbitMQ), where Kafka carries
 * facts and saga messages. One direct exchange routes each item by its key (a dark store) to that key's
 * queue; an attempt that failed waits `retryDelayMs` in the family's retry queue and is then routed back by
 * its key; an item given up on goes to the family's dead letters.
 */
export interface WorkQueueFamily<T> {
  name: string;
  /** Every item's body; one that does not parse is dead-lettered at once (a poison message). */
  schema: z.ZodType<T>;
  retryDelayMs: number;
  /** Highest priority a key's queue honours (`x-max-priority`); no priorities when absent. */
  maxPriority?: number;
}

/** One item taken from a queue; it stays invisible to everyone else until it is settled. */
export interface Delivery<T> {
  body: T;
  messageId: string;
  /** 1 on the first try; every retryLater adds one. */
  attempt: number;
  priority: number;
  /** The publisher's W3C trace headers (`traceparent`, `tracestate`, `baggage`), kept across retries. */
  trace: Record<string, string>;
  /** Done: the item leaves the queue. */
  ack(): Promise<void>;
  /** Not now: back in its queue after the family's retry delay, as the next attempt. */
  retryLater(): Promise<void>;
  /** Given up: to the family's dead letters (RabbitMQ's dead-letter exchange). */
  deadLetter(): Promise<void>;
  /** Handed back untouched: at once, to the next taker (not an attempt). */
  release(): Promise<void>;
}

export interface WorkQueues<T> {
  /** The queue of one key, prefixed. */
  queueOf(key: string): string;
  /** The queue the dead-letter exchange feeds. */
  readonly deadLetterQueue: string;
  /** Declares the family (once per process) and the keys' queues; idempotent, also across restarts. */
  declare(...keys: string[]): Promise<void>;
  /** Durable, persistent, carries the active trace context, and resolved only once the broker confirmed it. */
  publish(key: string, body: T, options: { messageId: string; priority?: number }): Promise<void>;
  /** The next item of a key's queue (highest priority first), held on a channel of its own; null when empty. */
  take(key: string): Promise<Delivery<T> | null>;
  /** Competing consumer of a key's queue with `prefetch` unsettled items at most; `handle` settles each. */
  consume(
    key: string,
    options: { prefetch: number },
    handle: (item: Delivery<T>) => Promise<void>,
  ): Stoppable;
  /** Removes and returns the next dead letter (operators and tests). */
  takeDeadLetter(): Promise<{ body: unknown; messageId: string; attempt: number } | null>;
}

/** The broker did not answer in time (down, restarting, unreachable); the work can be asked for again shortly. */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
}

/** A connection to the work-queue broker; reconnects by itself. */
export interface Queue {
  workQueues<T>(family: WorkQueueFamily<T>): WorkQueues<T>;
  isHealthy(): boolean;
  /** Stops consumers, hands back items still held (the broker redelivers them), closes the connection. */
  close(): Promise<void>;
}
