import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { jwks, rotateSigningKey } from "../use-cases/keyring";
import { retireEdgeJwks } from "../use-cases/retire-edge-jwks";
import { correlationOf } from "./correlation";

/** The JWKS the edge verifies access tokens with, and key rotation for admins. */
export const keyRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    /** Public keys of the current and recently retired signing keys. */
    .get("/v1/auth/.well-known/jwks.json", async ({ set }) => {
      set.headers["cache-control"] = "public, max-age=60";
      return jwks(ctx.db, ctx.config.SIGNING_KEY_GRACE_SECONDS);
    })
    /**
     * Makes a new signing key current; the previous one stays published for the grace period. The edge's
     * cached JWKS is purged, so it learns the new set (and the end of the old key's grace) at once.
     */
    .post("/v1/admin/auth/keys/rotate", async ({ identity, request, set }) => {
      requireRole(identity, "admin");
      const rotated = await rotateSigningKey(
        ctx.db,
        ctx.config.SIGNING_KEY_ENCRYPTION_SECRET,
        correlationOf(request),
      );
      const edgePurged = await retireEdgeJwks(ctx.config, ctx.logger);
      set.status = 201;
      return { ...rotated, graceSeconds: ctx.config.SIGNING_KEY_GRACE_SECONDS, edgePurged };
    });
