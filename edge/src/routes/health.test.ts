import { describe, expect, it } from "vitest";
import { edge } from "../../test/helpers";
import { DEAD_URL } from "../../test/ports";

describe("GET /v1/health", () => {
  it("is ok when every core service is ready", async () => {
    const response = await edge("/v1/health");
    expect(response.status).toBe(200);
    const body = await response.json<{ status: string; services: Record<string, { status: string }> }>();
    expect(body.status).toBe("ok");
    expect(Object.keys(body.services).sort()).toEqual([
      "auth",
      "cart",
      "catalog",
      "delivery",
      "edge",
      "inventory",
      "order",
      "payment",
      "pricing",
    ]);
  });

  it("is 503 and names the service that is down", async () => {
    const response = await edge("/v1/health", {}, { PAYMENT_URL: DEAD_URL });
    expect(response.status).toBe(503);
    const body = await response.json<{ status: string; services: Record<string, { status: string }> }>();
    expect(body.status).toBe("degraded");
    expect(body.services.payment?.status).toBe("down");
    expect(body.services.order?.status).toBe("ok");
  });
});
