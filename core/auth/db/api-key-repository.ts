import type { Kysely } from "kysely";
import type { ApiKey, Database } from "./schema";

export async function insertApiKey(
  db: Kysely<Database>,
  key: { id: string; name: string; prefix: string; secretHash: string; scopes: string[] },
): Promise<ApiKey> {
  return db
    .insertInto("api_keys")
    .values({
      id: key.id,
      name: key.name,
      prefix: key.prefix,
      secret_hash: key.secretHash,
      scopes: key.scopes,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function listApiKeys(db: Kysely<Database>): Promise<ApiKey[]> {
  return db.selectFrom("api_keys").selectAll().orderBy("created_at", "desc").execute();
}

export function findApiKeyByPrefix(db: Kysely<Database>, prefix: string): Promise<ApiKey | undefined> {
  return db.selectFrom("api_keys").selectAll().where("prefix", "=", prefix).executeTakeFirst();
}

/** Revokes a key; false when no such key. Revoking twice keeps the first revocation time. */
export async function revokeApiKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const found = await db.selectFrom("api_keys").select("id").where("id", "=", id).executeTakeFirst();
  if (!found) return false;
  await db
    .updateTable("api_keys")
    .set({ revoked_at: new Date() })
    .where("id", "=", id)
    .where("revoked_at", "is", null)
    .execute();
  return true;
}
