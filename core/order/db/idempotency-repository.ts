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

/** The status a key is stored with while its request is still being worked on. */
export const PENDING = 0;

/** A key claimed for a request in progress: the order id it will create (the same for every retry). */
export interface PendingClaim {
  orderId: string;
  requestHash: string;
}

/**
 * Claims a key before any side effect of its request (a coupon use), as PENDING with the order id the
 * request will create. Takes over an expired key, and a pending one abandoned for 30 s (its request died),
 * keeping that one's order id so what it did (a coupon redeemed for that order) is reused, not repeated.
 * Null when another request holds the key.
 */
export async function claimPending(
  db: Kysely<Database>,
  userId: string,
  key: string,
  claim: PendingClaim,
  ttlHours: number,
): Promise<PendingClaim | null> {
  const expiresAt = sql<Date>`now() + make_interval(hours => ${ttlHours})`;
  const row = await db
    .insertInto("idempotency_keys")
    .values({
      user_id: userId,
      key,
      request_hash: claim.requestHash,
      status_code: PENDING,
      response: JSON.stringify({ orderId: claim.orderId }),
      expires_at: expiresAt,
    })
    .onConflict((conflict) =>
      conflict
        .columns(["user_id", "key"])
        .doUpdateSet((eb) => ({
          request_hash: claim.requestHash,
          status_code: PENDING,
          // An abandoned claim keeps its order id; an expired key starts afresh.
          response: sql`case when ${eb.ref("idempotency_keys.status_code")} = ${PENDING}
            then ${eb.ref("idempotency_keys.response")} else excluded.response end`,
          expires_at: expiresAt,
        }))
        .where((eb) =>
          eb.or([
            eb("idempotency_keys.expires_at", "<=", sql<Date>`now()`),
            eb.and([
              eb("idempotency_keys.status_code", "=", PENDING),
              eb("idempotency_keys.request_hash", "=", claim.requestHash),
              eb("idempotency_keys.created_at", "<", sql<Date>`now() - interval '30 seconds'`),
            ]),
          ]),
        ),
    )
    .returning(["request_hash", "response"])
    .executeTakeFirst();
  if (!row) return null;
  return { orderId: (row.response as { orderId: string }).orderId, requestHash: row.request_hash };
}

/**
 * Stores a fresh key with its response, in the transaction that does the request's work: false when the key
 * is already there (answered, claimed by a request at work, or expired), which `claimPending` then sorts out.
 * A concurrent request with the same key waits on the row until this transaction ends.
 */
export async function insertAnswered(
  db: Kysely<Database>,
  userId: string,
  key: string,
  response: StoredResponse,
  ttlHours: number,
): Promise<boolean> {
  const row = await db
    .insertInto("idempotency_keys")
    .values({
      user_id: userId,
      key,
      request_hash: response.requestHash,
      status_code: response.statusCode,
      response: JSON.stringify(response.body),
      expires_at: sql<Date>`now() + make_interval(hours => ${ttlHours})`,
    })
    .onConflict((conflict) => conflict.columns(["user_id", "key"]).doNothing())
    .returning("key")
    .executeTakeFirst();
  return row !== undefined;
}

/** Stores the response of a claimed key, in the transaction that does the request's work. */
export async function completeKey(
  db: Kysely<Database>,
  userId: string,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await db
    .updateTable("idempotency_keys")
    .set({ status_code: response.statusCode, response: JSON.stringify(response.body) })
    .where("user_id", "=", userId)
    .where("key", "=", key)
    .execute();
}

/** Lets a key go whose request failed before it did anything lasting, so a retry can claim it again. */
export async function releasePending(db: Kysely<Database>, userId: string, key: string): Promise<void> {
  await db
    .deleteFrom("idempotency_keys")
    .where("user_id", "=", userId)
    .where("key", "=", key)
    .where("status_code", "=", PENDING)
    .execute();
}

/** Forgets keys past their expiry; returns how many. */
export async function pruneExpiredKeys(db: Kysely<Database>): Promise<number> {
  const result = await db
    .deleteFrom("idempotency_keys")
    .where("expires_at", "<=", sql<Date>`now()`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
