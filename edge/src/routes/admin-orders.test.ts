import { describe, expect, it } from "vitest";
import { as, edge, receivedByCore, requestId } from "../../test/helpers";

const orderId = "0193a000-0000-7000-8000-0000000000d1";

const get = async (path: string, roles: string[]) => {
  const id = requestId();
  const response = await edge(path, { headers: { ...(await as({ roles })), "x-request-id": id } });
  // The JWKS fetch of a cold key cache goes out under the same request id: only order's calls count.
  const received = async () =>
    (await receivedByCore(id)).filter(({ path: called }) => called.startsWith("/v1/admin/orders"));
  return { response, received };
};

describe("GET /v1/admin/orders/:id and /events", () => {
  it("forwards an admin's temporal read and audit trail to order, asOf untouched", async () => {
    const asOf = "2026-12-15T10:00:00.123Z";
    const read = await get(`/v1/admin/orders/${orderId}?asOf=${asOf}`, ["admin"]);
    expect(read.response.status).toBe(200);
    expect((await read.received()).map(({ method, path }) => `${method} ${path}`)).toEqual([
      `GET /v1/admin/orders/${orderId}?asOf=${asOf}`,
    ]);
    const trail = await get(`/v1/admin/orders/${orderId}/events`, ["admin"]);
    expect(trail.response.status).toBe(200);
    expect((await trail.received()).map(({ path }) => path)).toEqual([`/v1/admin/orders/${orderId}/events`]);
  });

  it("refuses a shopper (403) and a malformed asOf (400 naming it) before core sees them", async () => {
    const shopper = await get(`/v1/admin/orders/${orderId}/events`, ["shopper"]);
    expect(shopper.response.status).toBe(403);
    expect(await shopper.received()).toEqual([]);
    const bad = await get(`/v1/admin/orders/${orderId}?asOf=yesterday`, ["admin"]);
    expect(bad.response.status).toBe(400);
    expect(bad.response.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(await bad.response.json())).toContain("asOf");
    expect(await bad.received()).toEqual([]);
  });
});
