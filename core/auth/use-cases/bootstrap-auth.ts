import { createMessage, type Role } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Config } from "../../shared/config";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Database } from "../db/schema";
import { insertUserIfAbsent } from "../db/user-repository";
import { ensureSigningKey } from "./keyring";
import { ARGON2ID } from "./password-hashing";

/** Creates the configured admin account if absent; an existing account with that email is left alone. */
export async function ensureAdmin(db: Kysely<Database>, config: Config): Promise<void> {
  const passwordHash = await Bun.password.hash(config.ADMIN_PASSWORD, ARGON2ID);
  const userId = Bun.randomUUIDv7();
  const roles: Role[] = ["admin"];
  await transact(db, async (trx) => {
    const created = await insertUserIfAbsent(trx, {
      id: userId,
      email: config.ADMIN_EMAIL,
      name: "Administrator",
      password_hash: passwordHash,
      roles,
    });
    if (created)
      await enqueue(
        trx,
        createMessage(
          "UserRegistered",
          { userId, email: config.ADMIN_EMAIL, name: "Administrator", roles },
          { source: "auth", correlationId: `bootstrap-${userId}` },
        ),
      );
  });
}

/** What auth needs before its first login: the admin account and a signing key. */
export async function bootstrapAuth(db: Kysely<Database>, config: Config): Promise<void> {
  await ensureAdmin(db, config);
  await ensureSigningKey(db, config.SIGNING_KEY_ENCRYPTION_SECRET);
}
