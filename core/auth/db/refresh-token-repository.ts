import type { Kysely } from "kysely";
import type { Database, RefreshToken } from "./schema";

export interface NewRefreshToken {
  familyId: string;
  userId: string;
  tokenHash: string;
  expiresAt: Date;
}

export async function insertRefreshToken(db: Kysely<Database>, token: NewRefreshToken): Promise<void> {
  await db
    .insertInto("refresh_tokens")
    .values({
      id: Bun.randomUUIDv7(),
      family_id: token.familyId,
      user_id: token.userId,
      token_hash: token.tokenHash,
      expires_at: token.expiresAt,
    })
    .execute();
}

/** The token row, locked so two concurrent refreshes of one token cannot both rotate it. */
export function lockRefreshToken(db: Kysely<Database>, tokenHash: string): Promise<RefreshToken | undefined> {
  return db
    .selectFrom("refresh_tokens")
    .selectAll()
    .where("token_hash", "=", tokenHash)
    .forUpdate()
    .executeTakeFirst();
}

export async function markRotated(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable("refresh_tokens").set({ rotated_at: new Date() }).where("id", "=", id).execute();
}

/** Ends a session: every token of the family stops working. */
export async function revokeFamily(db: Kysely<Database>, familyId: string): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: new Date() })
    .where("family_id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
}

/** Logout: revokes the family of the token with this hash, if there is one. */
export async function revokeFamilyOf(db: Kysely<Database>, tokenHash: string): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: new Date() })
    .where("family_id", "=", (eb) =>
      eb.selectFrom("refresh_tokens").select("family_id").where("token_hash", "=", tokenHash),
    )
    .where("revoked_at", "is", null)
    .execute();
}

/** Deletes tokens that expired before `before`; returns how many. A deleted token is simply unknown (401). */
export async function deleteExpiredRefreshTokens(db: Kysely<Database>, before: Date): Promise<number> {
  const result = await db.deleteFrom("refresh_tokens").where("expires_at", "<", before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
