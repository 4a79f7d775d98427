import { type Kysely, sql } from "kysely";
import { sendAhead } from "./pipeline";

/**
 * Serializes every transaction about `key` (an order's commands, across consumer instances: a rebalance can
 * briefly hand one order's commands to two members) until the transaction ends. The lock is sent ahead (see
 * sendAhead): the backend takes it before it runs the transaction's next statement, which waits for it, so
 * nothing is read before the lock is held, and no round trip is spent on it alone.
 */
export function lockUntilCommit(trx: Kysely<any>, key: string): Promise<void> {
  return sendAhead(trx, {
    compile: () => sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.compile(trx),
  });
}
