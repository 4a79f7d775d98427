import type { AnyMessage, MessageOf } from "@qc/contracts";

/**
 * What a group's beforeApply worked out for several messages of its batch at once (in one round trip), kept
 * for each message's turn in the same transaction, which takes it instead of asking on its own.
 */
export class AheadOfTurn<T> {
  readonly #byTransaction = new WeakMap<object, Map<string, T>>();

  /** Keeps `byMessageId` (handed over: each take removes from it) for the transaction `trx`. */
  keep(trx: object, byMessageId: Map<string, T>): void {
    this.#byTransaction.set(trx, byMessageId);
  }

  /** What was kept for this message, once: a second take (a handler calling itself again) finds nothing. */
  take(trx: object, messageId: string): T | undefined {
    const kept = this.#byTransaction.get(trx);
    const value = kept?.get(messageId);
    kept?.delete(messageId);
    return value;
  }
}

/**
 * The batch's messages of `type` that come first of their subject (their order): nothing earlier in the batch
 * touched that subject, so their work can be done ahead of the other messages' turns.
 */
export function firstOfTheirSubject<T extends AnyMessage["type"]>(
  messages: readonly AnyMessage[],
  type: T,
): MessageOf<T>[] {
  const seen = new Set<string>();
  const first: MessageOf<T>[] = [];
  for (const message of messages) {
    if (message.type === type && !seen.has(message.subject)) first.push(message as MessageOf<T>);
    seen.add(message.subject);
  }
  return first;
}
