import { type OrderLiveEvent, orderLivePath } from "@qc/contracts";
import type { Config } from "../../shared/config";
import { isTransient, UpstreamError } from "../../shared/http/client";
import { postToEdge } from "../../shared/http/edge-call";
import { policyFor } from "../../shared/resilience";

export type PushLive = (orderId: string, events: OrderLiveEvent[]) => Promise<void>;

/**
 * Pushes an order's changes to the edge, whose Durable Object for the order fans them out to its viewers.
 * The breaker opens after two failed pushes, so while the edge is away the consumer waits for it (a peer
 * unavailable) instead of dead-lettering the changes.
 */
export function edgeLiveClient(config: Config): PushLive {
  const policy = policyFor("edge-live", {
    timeoutMs: 2_000,
    retries: 2,
    breakAfter: 2,
    isTransient,
  });
  return (orderId, events) =>
    policy.execute(async (signal) => {
      const response = await postToEdge({
        edgeUrl: config.EDGE_URL,
        secret: config.PURGE_SECRET,
        path: orderLivePath(orderId),
        body: { events },
        signal,
      });
      if (response.status !== 204) throw new UpstreamError("edge", response.status, await response.text());
    });
}
