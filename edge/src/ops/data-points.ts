import type { RequestRecord } from "../middleware/request-log";

/**
 * The edge's request dataset (Analytics Engine binding `REQUESTS`): one data point per request, written by the
 * request log. Its columns, as the SQL API names them:
 *
 * | column  | value                                      |
 * |---------|--------------------------------------------|
 * | index1  | route template (the sampling key)          |
 * | blob1   | route template, e.g. `/v1/orders`          |
 * | blob2   | method                                     |
 * | blob3   | cache status: HIT, STALE, MISS or BYPASS   |
 * | blob4   | role: admin, shopper, …, anonymous         |
 * | blob5   | colo (`local` under wrangler dev)          |
 * | blob6   | request id                                 |
 * | double1 | status                                     |
 * | double2 | latency in ms                              |
 */
export function requestDataPoint(record: RequestRecord): AnalyticsEngineDataPoint {
  return {
    indexes: [record.route],
    blobs: [record.route, record.method, record.cache, record.role, record.colo, record.requestId],
    doubles: [record.status, record.latencyMs],
  };
}

/** The route template and method of a checkout, and the answers that accepted the order. */
export const CHECKOUT = { route: "/v1/orders", method: "POST", acceptedStatuses: [201, 202] } as const;

/** Whether a request was a checkout the edge answered with an accepted order. */
export const isAcceptedCheckout = (route: string, method: string, status: number): boolean =>
  route === CHECKOUT.route &&
  method === CHECKOUT.method &&
  (CHECKOUT.acceptedStatuses as readonly number[]).includes(status);
