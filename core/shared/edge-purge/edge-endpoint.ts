import { PURGE_PATH, type PurgeBody, type PurgeScope } from "@qc/contracts";
import { postToEdge } from "../http/edge-call";
import type { NamedPolicy } from "../resilience";
import { type CachePurger, distinctScopes, PurgeFailedError } from "./purger";

/** The edge accepts at most this many scopes per call (PurgeBody). */
const MAX_SCOPES_PER_CALL = 100;

/**
 * Purges through the Worker's `POST /internal/purge`, signed with PURGE_SECRET as the edge verifies it
 * (development, tests, and any edge whose Purger writes KV itself).
 */
export class EdgeEndpointPurger implements CachePurger {
  constructor(private readonly options: { edgeUrl: string; secret: string; policy: NamedPolicy }) {}

  async purge(scopes: readonly PurgeScope[]): Promise<void> {
    const unique = distinctScopes(scopes);
    for (let start = 0; start < unique.length; start += MAX_SCOPES_PER_CALL) {
      await this.send({ scopes: unique.slice(start, start + MAX_SCOPES_PER_CALL) });
    }
  }

  private send(body: PurgeBody): Promise<void> {
    return this.options.policy.execute(async (signal) => {
      const { edgeUrl, secret } = this.options;
      const response = await postToEdge({ edgeUrl, secret, path: PURGE_PATH, body, signal });
      if (response.status !== 204) {
        const detail = await response.text();
        throw new PurgeFailedError(response.status, `edge purge answered ${response.status}: ${detail}`);
      }
    });
  }
}
