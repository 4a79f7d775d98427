import { createMessage, type RegisterBody, type Role } from "@qc/contracts";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext } from "../../shared/runtime/context";
import { decoyUserId } from "../db/register-decoys";
import type { Database } from "../db/schema";
import { findUserByEmail, insertUserIfAbsent } from "../db/user-repository";
import type { PasswordHasher } from "./password-hashing";

/**
 * Registers a shopper and returns the id to answer with. Idempotent for an identical retry: the same
 * email, password and name answer the account's own id (the password verifies against it). Any other
 * attempt on a taken email gets a decoy id that belongs to nobody (the same one for its own retries).
 * Both paths cost one argon2id operation, so neither the answer nor the work tells whether the email exists.
 */
export async function registerUser(
  ctx: ServiceContext<Database>,
  passwords: PasswordHasher,
  body: RegisterBody,
  options: { correlationId: string; signal?: AbortSignal },
): Promise<string> {
  const existing = await findUserByEmail(ctx.db, body.email);
  if (existing) return answerForTaken(ctx, passwords, body, existing, options.signal);
  const passwordHash = await passwords.hash(body.password, options.signal);
  const userId = Bun.randomUUIDv7();
  const roles: Role[] = ["shopper"];
  const created = await transact(ctx.db, async (trx) => {
    const inserted = await insertUserIfAbsent(trx, {
      id: userId,
      email: body.email,
      name: body.name,
      password_hash: passwordHash,
      roles,
    });
    if (!inserted) return false;
    await enqueue(
      trx,
      createMessage(
        "UserRegistered",
        { userId, email: body.email, name: body.name, roles },
        { source: "auth", correlationId: options.correlationId },
      ),
    );
    return true;
  });
  if (created) return userId;
  // Another registration of this email committed in between (an identical retry racing the first).
  const winner = await findUserByEmail(ctx.db, body.email);
  return winner ? answerForTaken(ctx, passwords, body, winner, options.signal) : userId;
}

async function answerForTaken(
  ctx: ServiceContext<Database>,
  passwords: PasswordHasher,
  body: RegisterBody,
  user: { id: string; name: string; password_hash: string },
  signal: AbortSignal | undefined,
): Promise<string> {
  const samePassword = await passwords.verify(body.password, user.password_hash, signal);
  if (samePassword && user.name === body.name) return user.id;
  return decoyUserId(ctx.redis, ctx.config.SIGNING_KEY_ENCRYPTION_SECRET, body);
}
