import type { Config } from "../../shared/config";
import { purgerMode } from "../../shared/edge-purge";
import { postToEdge } from "../../shared/http/edge-call";
import type { Logger } from "../../shared/telemetry/logger";

export const JWKS_PURGE_PATH = "/internal/jwks/purge";

/**
 * After a rotation, tells the edge to drop its cached JWKS (signed with PURGE_SECRET like every purge), so a
 * key rotated out because it leaked stops verifying at once rather than when the cache expires. A failure is
 * logged, not thrown: the rotation stands, and the edge's cache lives only minutes anyway.
 */
export async function retireEdgeJwks(config: Config, logger: Logger): Promise<boolean> {
  if (purgerMode(config) === "off") return false;
  try {
    const response = await postToEdge({
      edgeUrl: config.EDGE_URL,
      secret: config.PURGE_SECRET,
      path: JWKS_PURGE_PATH,
      signal: AbortSignal.timeout(2_000),
    });
    if (response.status === 204) return true;
    logger.warn({ status: response.status }, "edge refused the JWKS purge");
  } catch (error) {
    logger.warn({ err: error }, "edge JWKS purge failed; its cache expires on its own");
  }
  return false;
}
