import type { Config } from "../config";
import { policyFor } from "../resilience";
import { CloudflareKvPurger } from "./cloudflare-kv";
import { coalescingPurger } from "./coalescer";
import { EdgeEndpointPurger } from "./edge-endpoint";
import { type CachePurger, isTransientPurgeError } from "./purger";

export type { CachePurger } from "./purger";
export { CloudflareKvPurger, coalescingPurger, EdgeEndpointPurger };

/** EDGE_PURGER, or its default: `edge` (`npm run dev` runs one), but `off` in tests, which mostly have none. */
export const purgerMode = (config: Config) =>
  config.EDGE_PURGER ?? (config.NODE_ENV === "test" ? "off" : "edge");

/**
 * The purger EDGE_PURGER asks for (`edge` locally, `cloudflare` in production), coalescing bursts over
 * EDGE_PURGE_COALESCE_MS; undefined when purging is `off`.
 */
export function purgerFor(config: Config): CachePurger | undefined {
  const mode = purgerMode(config);
  if (mode === "off") return undefined;
  // One breaker for the edge: when it is down, purges fail fast and their messages retry or dead-letter.
  const policy = policyFor("edge-purge", {
    timeoutMs: 2_000,
    retries: 2,
    isTransient: isTransientPurgeError,
  });
  const purger =
    mode === "edge"
      ? new EdgeEndpointPurger({ edgeUrl: config.EDGE_URL, secret: config.PURGE_SECRET, policy })
      : cloudflarePurger(config, policy);
  return coalescingPurger(purger, config.EDGE_PURGE_COALESCE_MS);
}

function cloudflarePurger(config: Config, policy: ReturnType<typeof policyFor>): CachePurger {
  const { CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID, CLOUDFLARE_API_TOKEN } = config;
  if (!CLOUDFLARE_ACCOUNT_ID || !CLOUDFLARE_KV_NAMESPACE_ID || !CLOUDFLARE_API_TOKEN) {
    throw new Error(
      "EDGE_PURGER=cloudflare needs CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID and CLOUDFLARE_API_TOKEN",
    );
  }
  return new CloudflareKvPurger({
    accountId: CLOUDFLARE_ACCOUNT_ID,
    namespaceId: CLOUDFLARE_KV_NAMESPACE_ID,
    apiToken: CLOUDFLARE_API_TOKEN,
    apiBase: config.CLOUDFLARE_API_BASE,
    policy,
  });
}
