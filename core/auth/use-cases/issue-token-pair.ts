import type { Role, TokenPair } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Config } from "../../shared/config";
import { insertRefreshToken } from "../db/refresh-token-repository";
import type { Database } from "../db/schema";
import { signAccessToken } from "../domain/access-token";
import { randomSecret, sha256Hex } from "../domain/secrets";
import { currentSigner } from "./keyring";

/**
 * Issues an access token and a new refresh token of `familyId` (a login starts a family, each refresh
 * continues it). Only the refresh token's hash is stored.
 */
export async function issueTokenPair(
  db: Kysely<Database>,
  config: Config,
  user: { id: string; roles: Role[]; store_ids?: string[] },
  familyId: string,
): Promise<TokenPair> {
  const refreshToken = randomSecret(32);
  await insertRefreshToken(db, {
    familyId,
    userId: user.id,
    tokenHash: sha256Hex(refreshToken),
    expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_TTL_SECONDS * 1000),
  });
  const { key, kid } = await currentSigner(db, config.SIGNING_KEY_ENCRYPTION_SECRET);
  const accessToken = await signAccessToken(
    {
      userId: user.id,
      roles: user.roles,
      storeIds: user.store_ids ?? [],
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    },
    key,
    kid,
  );
  return { accessToken, refreshToken, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS };
}
