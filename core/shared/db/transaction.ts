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

/**
 * Runs `work` in one transaction and, once it has committed, its after-commit hooks. The one way core opens
 * a transaction that writes messages or state others wait on; a transaction opened otherwise simply never
 * runs its hooks (the relay's poll still finds its rows).
 */
export async function transact<DB, T>(db: Kysely<DB>, work: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  let used: Kysely<DB> | undefined;
  const result = await db.transaction().execute((trx) => {
    used = trx;
    return work(trx);
  });
  const hooks = used ? pending.get(used) : undefined;
  if (hooks) for (const hook of hooks) hook();
  return result;
}
