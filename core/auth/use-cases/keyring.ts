import { createMessage } from "@qc/contracts";
import { type CryptoKey, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Database, SigningKey } from "../db/schema";
import {
  currentSigningKey,
  insertFirstSigningKey,
  type NewSigningKey,
  publishedSigningKeys,
  replaceCurrentSigningKey,
} from "../db/signing-key-repository";
import { publicJwk, SIGNING_ALG } from "../domain/access-token";
import { openJwk, sealJwk } from "../domain/sealed-jwk";

async function generateSigningKey(secret: string): Promise<NewSigningKey> {
  const { privateKey } = await generateKeyPair(SIGNING_ALG, { extractable: true });
  const kid = Bun.randomUUIDv7();
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg: SIGNING_ALG,
    publicJwk: publicJwk(privateJwk, kid),
    privateJwkEncrypted: await sealJwk(privateJwk, secret),
  };
}

/** The current signing key, creating the very first one when the table is empty. */
export async function ensureSigningKey(db: Kysely<Database>, secret: string): Promise<SigningKey> {
  const current = await currentSigningKey(db);
  if (current) return current;
  await insertFirstSigningKey(db, await generateSigningKey(secret));
  const created = await currentSigningKey(db);
  if (!created) throw new Error("no current signing key after bootstrap");
  return created;
}

// Decrypting and importing is per key, not per token: keys are immutable once written.
const imported = new Map<string, Promise<CryptoKey>>();

/** The key and kid new access tokens are signed with. */
export async function currentSigner(
  db: Kysely<Database>,
  secret: string,
): Promise<{ key: CryptoKey; kid: string }> {
  const row = await ensureSigningKey(db, secret);
  let key = imported.get(row.kid);
  if (!key) {
    key = openJwk(row.private_jwk_encrypted, secret).then(
      (jwk) => importJWK(jwk, SIGNING_ALG) as Promise<CryptoKey>,
    );
    imported.set(row.kid, key);
  }
  return { key: await key, kid: row.kid };
}

/** The JWKS verifiers use: the current key plus keys retired within the grace period. */
export async function jwks(db: Kysely<Database>, graceSeconds: number): Promise<{ keys: JWK[] }> {
  const rows = await publishedSigningKeys(db, graceSeconds);
  return { keys: rows.map((row) => row.public_jwk) };
}

/**
 * Makes a new key current. Tokens already issued keep verifying while the old key is still in the JWKS
 * (the grace period, at least the access-token lifetime), so nobody is logged out by a rotation.
 */
export async function rotateSigningKey(
  db: Kysely<Database>,
  secret: string,
  correlationId: string,
): Promise<{ kid: string }> {
  const next = await generateSigningKey(secret);
  await transact(db, async (trx) => {
    await replaceCurrentSigningKey(trx, next);
    await enqueue(
      trx,
      createMessage("SigningKeyRotated", { kid: next.kid, alg: next.alg }, { source: "auth", correlationId }),
    );
  });
  return { kid: next.kid };
}
