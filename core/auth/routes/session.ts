import {
  createMessage,
  LoginBody,
  LogoutBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  type Role,
  TokenPair,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { AppError, unauthorized } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext } from "../../shared/runtime/context";
import { clearLoginFailures, lockedForSeconds, recordLoginFailure } from "../db/login-attempts";
import { lockRefreshToken, markRotated, revokeFamily, revokeFamilyOf } from "../db/refresh-token-repository";
import type { Database } from "../db/schema";
import { findUserByEmail, findUserById, insertUserIfAbsent } from "../db/user-repository";
import { judgeRefresh } from "../domain/refresh";
import { sha256Hex } from "../domain/secrets";
import { issueTokenPair } from "../use-cases/issue-token-pair";
import { correlationOf } from "./correlation";

const hashPassword = (password: string) => Bun.password.hash(password, { algorithm: "argon2id" });

// Verifying against this when the email is unknown makes a miss cost as much as a wrong password.
let decoyHash: Promise<string> | undefined;
const decoy = () => {
  decoyHash ??= hashPassword(crypto.randomUUID());
  return decoyHash;
};

/**
 * Registration answers no sooner than this. The argon2id hash already makes both outcomes cost the same
 * work, but only a new account commits rows and wakes the outbox relay; under load that showed as ~100 ms.
 * With the floor above both paths' cost, the two answers leave at the same moment.
 */
const REGISTER_FLOOR_MS = 500;

const invalidRefresh = () => unauthorized("The refresh token is not valid");

const locked = (retryAfterSeconds: number) =>
  new Response(
    JSON.stringify({
      type: "urn:quickcommerce:problem:account_locked",
      title: "Too many failed sign-ins; try again later",
      status: 429,
      detail: `Retry after ${retryAfterSeconds} seconds`,
    }),
    {
      status: 429,
      headers: { "content-type": "application/problem+json", "retry-after": String(retryAfterSeconds) },
    },
  );

/** Register, log in, refresh and log out. */
export const sessionRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia({ prefix: "/v1/auth" })
    /**
     * Creates a shopper account. A taken email gets the same 201 with a fresh id that belongs to nobody,
     * after the same argon2id work, so neither the answer nor its timing tells whether the email exists.
     * (A real deployment would email the owner that someone tried to register with their address.)
     */
    .post(
      "/register",
      async ({ body, set, request }) => {
        const floor = Bun.sleep(REGISTER_FLOOR_MS);
        const passwordHash = await hashPassword(body.password);
        const userId = Bun.randomUUIDv7();
        const roles: Role[] = ["shopper"];
        await ctx.db.transaction().execute(async (trx) => {
          const created = await insertUserIfAbsent(trx, {
            id: userId,
            email: body.email,
            name: body.name,
            password_hash: passwordHash,
            roles,
          });
          if (!created) return;
          await enqueue(
            trx,
            createMessage(
              "UserRegistered",
              { userId, email: body.email, name: body.name, roles },
              { source: "auth", correlationId: correlationOf(request) },
            ),
          );
        });
        await floor;
        set.status = 201;
        return { userId };
      },
      { body: RegisterBody, response: { 201: RegisterResponse } },
    )
    /** Exchanges email and password for tokens; repeated failures slow down, then lock the email. */
    .post(
      "/login",
      async ({ body }) => {
        const retryAfter = await lockedForSeconds(ctx.redis, body.email);
        if (retryAfter > 0) return locked(retryAfter);
        const user = await findUserByEmail(ctx.db, body.email);
        const valid = await Bun.password.verify(body.password, user?.password_hash ?? (await decoy()));
        if (!user || !valid) {
          const failures = await recordLoginFailure(ctx.redis, body.email, ctx.config);
          await Bun.sleep(
            Math.min(failures, ctx.config.LOGIN_MAX_FAILURES) * ctx.config.LOGIN_FAILURE_DELAY_MS,
          );
          throw new AppError(401, "invalid_credentials", "The email or password is wrong");
        }
        await clearLoginFailures(ctx.redis, body.email);
        return issueTokenPair(ctx.db, ctx.config, user, Bun.randomUUIDv7());
      },
      { body: LoginBody },
    )
    /** Rotates a refresh token; presenting one that was already rotated revokes its whole family. */
    .post(
      "/refresh",
      async ({ body }) => {
        const tokens = await ctx.db.transaction().execute(async (trx) => {
          const row = await lockRefreshToken(trx, sha256Hex(body.refreshToken));
          if (!row) return null;
          const verdict = judgeRefresh(row, new Date());
          if (verdict === "reused") await revokeFamily(trx, row.family_id);
          if (verdict !== "rotate") return null;
          const user = await findUserById(trx, row.user_id);
          if (!user) return null;
          await markRotated(trx, row.id);
          // Roles are read again, so a role change applies from the next refresh.
          return issueTokenPair(trx, ctx.config, user, row.family_id);
        });
        // The revocation above must commit, so the refusal is thrown only after the transaction.
        if (!tokens) throw invalidRefresh();
        return tokens;
      },
      { body: RefreshBody, response: TokenPair },
    )
    /** Ends the session of this refresh token (its whole family); answers 204 whether or not it was known. */
    .post(
      "/logout",
      async ({ body, set }) => {
        await revokeFamilyOf(ctx.db, sha256Hex(body.refreshToken));
        set.status = 204;
      },
      { body: LogoutBody },
    );
