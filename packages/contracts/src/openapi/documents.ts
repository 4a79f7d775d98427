import * as contracts from "../index";
import { buildOpenApiDocument } from "./build";
import { coreRoutes } from "./core-routes";
import { publicRoutes } from "./public-routes";

const VERSION = "1.0.0";

/** The public API as the edge serves it: bearer JWTs from /v1/auth, roles per route. */
export function publicApiDocument(serverUrl = "/") {
  return buildOpenApiDocument(publicRoutes, {
    title: "QuickCommerce public API",
    version: VERSION,
    description:
      "10-minute grocery delivery. Errors are application/problem+json (RFC 9457); money is integer minor units.",
    servers: [{ url: serverUrl, description: "the edge" }],
    security: {
      name: "bearer",
      scheme: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
      requiredBy: (route) => route.roles !== undefined,
    },
    names: contracts,
  });
}

/**
 * Core's routes: the /v1 routes the edge forwards (signed by the edge, which has already checked the
 * bearer token), core-only admin routes, and the /internal/v1 service-to-service routes.
 */
export function coreApiDocument(serverUrl = "/") {
  return buildOpenApiDocument(coreRoutes, {
    title: "QuickCommerce core services",
    version: VERSION,
    description: "Reached only through the edge (/v1) or from another core service (/internal/v1).",
    servers: [{ url: serverUrl, description: "any core service (each answers its own routes)" }],
    security: {
      name: "edgeSignature",
      scheme: {
        type: "apiKey",
        in: "header",
        name: contracts.EDGE_SIGNATURE_HEADER,
        description: "HMAC of method, path, timestamp, body digest and the verified user, added by the edge",
      },
      requiredBy: (route) => route.path.startsWith("/v1/"),
    },
    names: contracts,
  });
}
