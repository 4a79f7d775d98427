import { type Kysely, sql } from "kysely";
import type { Database, IdempotencyKeyRow } from "./schema";

export interface StoredResponse {
  requestHash: string;
  statusCode: number;
  body: unknown;
}

const toStored = (row: Pick<IdempotencyKeyRow, "request_hash" | "status_code" | "response">) => ({
  requestHash: row.request_hash,
  statusCode: row.status_code,
  body: row.response,
});

/** The response first given for a user's key, if the key is still kept. */
export async function findResponse(
  db: Kysely<Database>,
  userId: string,
  key: string,
): Promise<StoredResponse | null> {
  const row = await db
    .selectFrom("idempotency_keys")
    .select(["request_hash", "status_code", "response"])
    .where("user_id", "=", userId)
    .where("key", "=", key)
    .where("expires_at", ">", sql<Date>`now()`)
    .executeTakeFirst();
  return row ? toStored(row) : null;
}

/**
 * Claims a key with the response it will answer. Call it first in the transaction that creates the order:
 * a concurrent request with the same key waits on the row and then finds it taken (returns false).
 */
export async function claimKey(
  db: Kysely<Database>,
  userId: string,
  key: string,
  response: StoredResponse,
  ttlHours: number,
): Promise<boolean> {
  // An expired key of the same name is taken over rather than kept forever.
  const claimed = await db
    .insertInto("idempotency_keys")
    .values({
      user_id: userId,
      key,
      request_hash: response.requestHash,
      status_code: response.statusCode,
      response: JSON.stringify(response.body),
      expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
    })
    .onConflict((conflict) =>
      conflict
        .columns(["user_id", "key"])
        .doUpdateSet({
          request_hash: response.requestHash,
          status_code: response.statusCode,
          response: JSON.stringify(response.body),
          expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
        })
        .where("idempotency_keys.expires_at", "<=", sql<Date>`now()`),
    )
    .returning("key")
    .executeTakeFirst();
  return claimed !== undefined;
}

/** Forgets keys past their expiry; returns how many. */
export async function pruneExpiredKeys(db: Kysely<Database>): Promise<number> {
  const result = await db
    .deleteFrom("idempotency_keys")
    .where("expires_at", "<=", sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
