import { context } from "@opentelemetry/api";
import type { Kysely } from "kysely";

// Work that must wait until a transaction has committed (waking the outbox relay, telling a waiting
// request that an order moved): registered inside the transaction, run by `transact` after the commit.
const pending = new WeakMap<Kysely<any>, (() => void)[]>();

/** Runs `hook` once the transaction `trx` belongs to has committed; never if it rolls back. */
export function afterCommit(trx: Kysely<any>, hook: () => void): void {
  // The hook is the registering work's (a consumer's message span, a request's): it runs in that trace and
  // scope, not in whatever a shared transaction (a consumer's group commit) happens to run in.
  const bound = context.bind(context.active(), hook);
  const hooks = pending.get(trx);
  if (hooks) hooks.push(bound);
  else pending.set(trx, [bound]);
}

// Work that needs the transaction's final state (one announcement of a stock level after every change in it):
// registered inside the transaction, run by `transact` inside it, after `work` and before the commit.
const finishing = new WeakMap<Kysely<any>, (() => Promise<void>)[]>();

/** Whether `trx` was opened by `transact` (and so runs before-commit hooks). */
export const runsBeforeCommit = (trx: Kysely<any>): boolean => finishing.has(trx);

/**
 * Runs `hook` in the transaction `trx`, after its work and just before it commits. Only a transaction opened
 * by `transact` runs these, so registering on any other throws rather than dropping the hook's writes.
 */
export function beforeCommit(trx: Kysely<any>, hook: () => Promise<void>): void {
  const hooks = finishing.get(trx);
  if (!hooks) throw new Error("beforeCommit needs a transaction opened by transact");
  hooks.push(hook);
}

/**
 * Runs `work` in one transaction, then its before-commit hooks in it, and, once it has committed, its
 * after-commit hooks. The one way core opens a transaction that writes messages or state others wait on; a
 * transaction opened otherwise never runs hooks: its outbox rows are written at once and found by the relay's
 * poll, and enqueueLatest refuses it.
 */
export async function transact<DB, T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  let used: Kysely<DB> | undefined;
  const result = await db.transaction().execute(async (trx) => {
    used = trx;
    const hooks: (() => Promise<void>)[] = [];
    finishing.set(trx, hooks);
    const done = await work(trx);
    // A hook may register another (its own writes may need finishing too): run until none is left.
    for (let next = hooks.shift(); next; next = hooks.shift()) await next();
    // Finished: anything still written now goes straight to the transaction (and fails loudly once it ended).
    finishing.delete(trx);
    return done;
  });
  const hooks = used ? pending.get(used) : undefined;
  if (hooks) for (const hook of hooks) hook();
  return result;
}
