import { z } from "zod";
import { Id, IsoDateTime, Role, text } from "../common";

/** PUT /v1/admin/users/:userId/roles: replaces the user's roles; they apply from the next token refresh. */
export const UserParams = z.object({ userId: Id });
export type UserParams = z.infer<typeof UserParams>;
/** `storeIds`: the stores a store_staff member or rider works for; they may act only on those stores. */
export const SetRolesBody = z.object({
  roles: z.array(Role).min(1).max(4),
  storeIds: z.array(Id).max(50).default([]),
});
export type SetRolesBody = z.infer<typeof SetRolesBody>;
export const UserRolesView = z.object({ userId: Id, roles: z.array(Role), storeIds: z.array(Id) });
export type UserRolesView = z.infer<typeof UserRolesView>;

/** A partner permission such as `catalog:read`. */
export const ApiKeyScope = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,31}(:[a-z][a-z0-9_.-]{0,31})?$/, "expected e.g. catalog:read");
export type ApiKeyScope = z.infer<typeof ApiKeyScope>;

/** POST /v1/admin/api-keys */
export const CreateApiKeyBody = z.object({
  name: text().trim().min(1).max(100),
  scopes: z.array(ApiKeyScope).min(1).max(32),
});
export type CreateApiKeyBody = z.infer<typeof CreateApiKeyBody>;

export const ApiKeyParams = z.object({ keyId: Id });
export type ApiKeyParams = z.infer<typeof ApiKeyParams>;

/** A partner key as listed: never the secret, only its public prefix. */
export const ApiKeyView = z.object({
  keyId: Id,
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(ApiKeyScope),
  createdAt: IsoDateTime,
  revokedAt: IsoDateTime.nullable(),
});
export type ApiKeyView = z.infer<typeof ApiKeyView>;
export const ApiKeyList = z.object({ items: z.array(ApiKeyView) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;

/** The answer to a create: the only time the full key is shown. */
export const CreatedApiKey = ApiKeyView.extend({ key: z.string() });
export type CreatedApiKey = z.infer<typeof CreatedApiKey>;

/** edge → auth: POST /internal/v1/api-keys/verify — 200, 401 unknown or revoked, 403 missing scope. */
export const VerifyApiKeyBody = z.object({ key: text().min(1).max(256), scope: ApiKeyScope });
export type VerifyApiKeyBody = z.infer<typeof VerifyApiKeyBody>;
export const VerifiedApiKey = z.object({ keyId: Id, scopes: z.array(ApiKeyScope) });
export type VerifiedApiKey = z.infer<typeof VerifiedApiKey>;
