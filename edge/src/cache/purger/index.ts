import { CloudflareApiPurger } from "./cloudflare-api";
import { KvPurger } from "./kv";
import type { Purger } from "./purger";

export type { Purger } from "./purger";
export { CloudflareApiPurger, KvPurger };

/** The purger the environment asks for: `PURGER=kv` locally, `cloudflare-api` in staging and production. */
export function purgerFor(env: Env): Purger {
  if (env.PURGER !== "cloudflare-api") return new KvPurger(env.CACHE);
  if (!env.CLOUDFLARE_ACCOUNT_ID || !env.CLOUDFLARE_KV_NAMESPACE_ID || !env.CLOUDFLARE_API_TOKEN) {
    throw new Error(
      "PURGER=cloudflare-api needs CLOUDFLARE_ACCOUNT_ID, CLOUDFLARE_KV_NAMESPACE_ID and CLOUDFLARE_API_TOKEN",
    );
  }
  return new CloudflareApiPurger({
    accountId: env.CLOUDFLARE_ACCOUNT_ID,
    namespaceId: env.CLOUDFLARE_KV_NAMESPACE_ID,
    apiToken: env.CLOUDFLARE_API_TOKEN,
  });
}
