import {
  AccessTokenClaims,
  EDGE_NONCE_HEADER,
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  newNonce,
} from "@qc/contracts";
import { createRemoteJWKSet, customFetch, jwtVerify } from "jose";
import type { Config } from "../config";
import { serviceUrl } from "../runtime/context";
import { signRequest } from "./signing";

const JWKS_PATH = "/v1/auth/.well-known/jwks.json";

/**
 * Verifies auth's access tokens the way the edge does (ES256, issuer, audience, the claims' contract) against
 * auth's JWKS, for a client that reaches core without the edge (a rider's gRPC stream). jose keeps the key set
 * for 5 min and refetches at once for an unknown `kid` (a rotation), at most every 30 s.
 */
export function accessTokenVerifier(config: Config): (token: string) => Promise<AccessTokenClaims> {
  const keys = createRemoteJWKSet(new URL(`${serviceUrl(config, "auth")}${JWKS_PATH}`), {
    cacheMaxAge: 300_000,
    cooldownDuration: 30_000,
    // Auth's /v1 routes answer only requests signed as the edge signs them (anonymous, like the edge's own
    // JWKS fetch), so the key set is fetched signed with the edge's secret core shares.
    [customFetch]: async (url, options) => {
      const timestamp = Date.now();
      const nonce = newNonce();
      const signature = await signRequest({
        secret: config.EDGE_SIGNING_SECRET,
        method: "GET",
        path: JWKS_PATH,
        timestamp,
        body: "",
        userId: null,
        roles: [],
        nonce,
      });
      const headers = new Headers(options.headers);
      headers.set(EDGE_TIMESTAMP_HEADER, String(timestamp));
      headers.set(EDGE_NONCE_HEADER, nonce);
      headers.set(EDGE_SIGNATURE_HEADER, signature);
      return fetch(url, { ...options, headers });
    },
  });
  return async (token) => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      algorithms: ["ES256"],
      clockTolerance: 5,
    });
    return AccessTokenClaims.parse(payload);
  };
}
