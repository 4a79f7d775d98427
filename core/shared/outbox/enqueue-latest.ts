import { type Context, context } from "@opentelemetry/api";
import type { AnyMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { beforeCommit } from "../db/transaction";
import { enqueue } from "./enqueue";

interface Latest {
  /** The last message given for each type and key, in the order they were first given. */
  messages: Map<string, AnyMessage>;
  /** Where the last one was given: the written messages join that work's trace. */
  context: Context;
}

const latestOf = new WeakMap<Kysely<any>, Latest>();

/**
 * Enqueues, just before the transaction commits, only the last of the messages given for each type and key
 * (by default the message's subject, its Kafka key): for announcements whose readers only need the newest
 * state, so a group commit that reserves one SKU for twenty orders announces its level once instead of
 * twenty times. The transaction must be opened by `transact` (see beforeCommit).
 */
export function enqueueLatest(
  trx: Kysely<any>,
  messages: AnyMessage[],
  keyOf: (message: AnyMessage) => string = (message) => message.subject,
): void {
  let latest = latestOf.get(trx);
  if (!latest) {
    const gathered: Latest = { messages: new Map(), context: context.active() };
    beforeCommit(trx, () =>
      context.with(gathered.context, () => enqueue(trx, ...gathered.messages.values())),
    );
    latestOf.set(trx, gathered);
    latest = gathered;
  }
  latest.context = context.active();
  for (const message of messages) latest.messages.set(`${message.type} ${keyOf(message)}`, message);
}
