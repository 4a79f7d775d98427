import type { JWK } from "jose";
import { type Kysely, sql } from "kysely";
import type { Database, SigningKey } from "./schema";

export interface NewSigningKey {
  kid: string;
  alg: string;
  publicJwk: JWK;
  privateJwkEncrypted: string;
}

export function currentSigningKey(db: Kysely<Database>): Promise<SigningKey | undefined> {
  return db.selectFrom("signing_keys").selectAll().where("retired_at", "is", null).executeTakeFirst();
}

/** Inserts the first key unless another instance already did (the partial unique index decides). */
export async function insertFirstSigningKey(db: Kysely<Database>, key: NewSigningKey): Promise<void> {
  await sql`
    insert into signing_keys (kid, alg, public_jwk, private_jwk_encrypted)
    values (${key.kid}, ${key.alg}, ${JSON.stringify(key.publicJwk)}, ${key.privateJwkEncrypted})
    on conflict ((true)) where retired_at is null do nothing`.execute(db);
}

/** Retires the current key and makes `key` current; run in a transaction. */
export async function replaceCurrentSigningKey(db: Kysely<Database>, key: NewSigningKey): Promise<void> {
  // Two rotations at once would both retire the same key and then both insert a current one.
  await sql`select pg_advisory_xact_lock(hashtext('auth.signing_keys.rotate'))`.execute(db);
  await db
    .updateTable("signing_keys")
    .set({ retired_at: new Date() })
    .where("retired_at", "is", null)
    .execute();
  await db
    .insertInto("signing_keys")
    .values({
      kid: key.kid,
      alg: key.alg,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk_encrypted: key.privateJwkEncrypted,
    })
    .execute();
}

/** Keys verifiers may still use: the current one and those retired less than `graceSeconds` ago. */
export function publishedSigningKeys(db: Kysely<Database>, graceSeconds: number): Promise<SigningKey[]> {
  return db
    .selectFrom("signing_keys")
    .selectAll()
    .where((eb) =>
      eb.or([
        eb("retired_at", "is", null),
        eb("retired_at", ">", sql<Date>`now() - make_interval(secs => ${graceSeconds})`),
      ]),
    )
    .orderBy("created_at", "desc")
    .execute();
}
