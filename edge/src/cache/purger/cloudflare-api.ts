import type { PurgeScope } from "@qc/contracts";
import { newVersion, versionKey } from "../scopes";
import type { Purger } from "./purger";

export interface CloudflareApiPurgerOptions {
  accountId: string;
  namespaceId: string;
  apiToken: string;
  apiBase?: string;
}

/**
 * Bumps versions with one bulk write through the Cloudflare KV REST API (production). It needs no
 * binding, so the same class runs inside the Worker and in core's invalidation consumer alike.
 */
export class CloudflareApiPurger implements Purger {
  constructor(private readonly options: CloudflareApiPurgerOptions) {}

  async purge(scopes: readonly PurgeScope[]): Promise<void> {
    const { accountId, namespaceId, apiToken } = this.options;
    const base = this.options.apiBase ?? "https://api.cloudflare.com/client/v4";
    const response = await fetch(`${base}/accounts/${accountId}/storage/kv/namespaces/${namespaceId}/bulk`, {
      method: "PUT",
      headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(scopes.map((scope) => ({ key: versionKey(scope), value: newVersion() }))),
      signal: AbortSignal.timeout(5_000),
    });
    const result = (await response.json().catch(() => null)) as { success?: boolean } | null;
    if (!response.ok || !result?.success)
      throw new Error(`Cloudflare KV bulk write failed: ${response.status}`);
  }
}
