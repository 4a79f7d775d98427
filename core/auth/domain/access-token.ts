import type { Role } from "@qc/contracts";
import { type CryptoKey, type JWK, SignJWT } from "jose";

export const SIGNING_ALG = "ES256";

export interface AccessTokenInput {
  userId: string;
  roles: Role[];
  /** Stores of a store_staff member or rider; left out of the token when empty. */
  storeIds?: string[];
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

/** Signs a short-lived access token; `kid` tells verifiers which JWKS key to use. */
export function signAccessToken(input: AccessTokenInput, key: CryptoKey, kid: string): Promise<string> {
  const storeIds = input.storeIds ?? [];
  return new SignJWT({ roles: input.roles, ...(storeIds.length > 0 ? { storeIds } : {}) })
    .setProtectedHeader({ alg: SIGNING_ALG, kid, typ: "JWT" })
    .setSubject(input.userId)
    .setIssuer(input.issuer)
    .setAudience(input.audience)
    .setIssuedAt()
    .setExpirationTime(`${input.ttlSeconds}s`)
    .sign(key);
}

/** The public half of a key as published in the JWKS. */
export const publicJwk = (jwk: JWK, kid: string): JWK => ({
  kty: jwk.kty,
  crv: jwk.crv,
  x: jwk.x,
  y: jwk.y,
  kid,
  alg: SIGNING_ALG,
  use: "sig",
});
