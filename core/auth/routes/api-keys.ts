import {
  ApiKeyList,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKey,
  VerifiedApiKey,
  VerifyApiKeyBody,
} from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { AppError, forbidden, notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import { findApiKeyByPrefix, insertApiKey, listApiKeys, revokeApiKey } from "../db/api-key-repository";
import type { ApiKey, Database } from "../db/schema";
import { mintApiKey, parseApiKey } from "../domain/api-key";
import { sameDigest } from "../domain/secrets";

const view = (row: ApiKey) => ({
  keyId: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  createdAt: row.created_at.toISOString(),
  revokedAt: row.revoked_at?.toISOString() ?? null,
});

const unknownKey = () => new AppError(401, "invalid_api_key", "The API key is unknown or revoked");

/** Partner API keys: admins mint, list and revoke them; the edge verifies them over the internal route. */
export const apiKeyRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia()
    .use(identityFrom(ctx.config))
    /** Mints a key; the full key is in this answer only. */
    .post(
      "/v1/admin/api-keys",
      async ({ identity, body, set }) => {
        requireRole(identity, "admin");
        const minted = mintApiKey();
        const row = await insertApiKey(ctx.db, {
          id: Bun.randomUUIDv7(),
          name: body.name,
          prefix: minted.prefix,
          secretHash: minted.secretHash,
          scopes: [...new Set(body.scopes)],
        });
        set.status = 201;
        return { ...view(row), key: minted.key };
      },
      { body: CreateApiKeyBody, response: { 201: CreatedApiKey } },
    )
    /** Every key, revoked ones included, without secrets. */
    .get(
      "/v1/admin/api-keys",
      async ({ identity }) => {
        requireRole(identity, "admin");
        return { items: (await listApiKeys(ctx.db)).map(view) };
      },
      { response: ApiKeyList },
    )
    /** Revokes a key at once. */
    .delete(
      "/v1/admin/api-keys/:keyId",
      async ({ identity, params, set }) => {
        requireRole(identity, "admin");
        if (!(await revokeApiKey(ctx.db, params.keyId))) throw notFound("API key");
        set.status = 204;
      },
      { params: ApiKeyParams },
    )
    /** Whether a presented key is valid and holds the scope: 200, 401 unknown or revoked, 403 missing scope. */
    .post(
      "/internal/v1/api-keys/verify",
      async ({ body }) => {
        const presented = parseApiKey(body.key);
        const row = presented && (await findApiKeyByPrefix(ctx.db, presented.prefix));
        if (!presented || !row || row.revoked_at || !sameDigest(row.secret_hash, presented.secretHash))
          throw unknownKey();
        if (!row.scopes.includes(body.scope)) throw forbidden(`the API key lacks scope ${body.scope}`);
        return { keyId: row.id, scopes: row.scopes };
      },
      { body: VerifyApiKeyBody, response: VerifiedApiKey },
    );
