import {
  CLIENT_IP_HEADER,
  LoginBody,
  LogoutBody,
  RefreshBody,
  RegisterBody,
  RegisterResponse,
  TokenPair,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { AppError, unauthorized } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import {
  clearLoginFailures,
  failureDelayMs,
  lockedForSeconds,
  recordLoginFailure,
} from "../db/login-attempts";
import { lockRefreshToken, markRotated, revokeFamily, revokeFamilyOf } from "../db/refresh-token-repository";
import type { Database } from "../db/schema";
import { findUserByEmail, findUserById } from "../db/user-repository";
import { judgeRefresh } from "../domain/refresh";
import { sha256Hex } from "../domain/secrets";
import { issueTokenPair } from "../use-cases/issue-token-pair";
import { ARGON2ID, createPasswordHasher } from "../use-cases/password-hashing";
import { registerUser } from "../use-cases/register-user";
import { correlationOf } from "./correlation";

// One limit per process for every argon2id operation of the service (register and login alike).
const passwords = createPasswordHasher();

// Verifying against this when the email is unknown makes a miss cost as much as a wrong password.
let decoyHash: Promise<string> | undefined;
const decoy = () => {
  decoyHash ??= Bun.password.hash(crypto.randomUUID(), ARGON2ID);
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
     * after the same argon2id work, so neither the answer nor its timing tells whether the email exists;
     * an identical retry answers what the first attempt did. Beyond the hashing limit: 503 + Retry-After.
     * (A real deployment would email the owner that someone tried to register with their address.)
     */
    .post(
      "/register",
      async ({ body, set, request }) => {
        const floor = Bun.sleep(REGISTER_FLOOR_MS);
        const userId = await registerUser(ctx, passwords, body, {
          correlationId: correlationOf(request),
          signal: request.signal,
        });
        await floor;
        set.status = 201;
        return { userId };
      },
      { body: RegisterBody, response: { 201: RegisterResponse } },
    )
    /**
     * Exchanges email and password for tokens; one client's repeated failures slow down (doubling), then lock
     * the email for that client only. The client is the address the edge signed (`X-Client-Ip`).
     */
    .post(
      "/login",
      async ({ body, request }) => {
        const client = request.headers.get(CLIENT_IP_HEADER) ?? "unknown";
        const retryAfter = await lockedForSeconds(ctx.redis, body.email, client);
        if (retryAfter > 0) return locked(retryAfter);
        const user = await findUserByEmail(ctx.db, body.email);
        const valid = await passwords.verify(
          body.password,
          user?.password_hash ?? (await decoy()),
          request.signal,
        );
        if (!user || !valid) {
          const failures = await recordLoginFailure(ctx.redis, body.email, client, ctx.config);
          await Bun.sleep(failureDelayMs(failures, ctx.config));
          throw new AppError(401, "invalid_credentials", "The email or password is wrong");
        }
        await clearLoginFailures(ctx.redis, body.email, client);
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
