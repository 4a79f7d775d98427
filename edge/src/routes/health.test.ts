import { describe, expect, it } from "vitest";
import { as, edge } from "../../test/helpers";
import { DEAD_URL } from "../../test/ports";

type Health = { status: string; services?: Record<string, { status: string }> };

describe("GET /v1/health", () => {
  it("is ok when every core service is ready, with every service's state for an operator", async () => {
    const response = await edge("/v1/health", { headers: await as({ roles: ["admin"] }) });
    expect(response.status).toBe(200);
    const body = await response.json<Health>();
    expect(body.status).toBe("ok");
    expect(Object.keys(body.services ?? {}).sort()).toEqual([
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

  it("is 503 and names the service that is down to an operator", async () => {
    const response = await edge(
      "/v1/health",
      { headers: await as({ roles: ["admin"] }) },
      { PAYMENT_URL: DEAD_URL },
    );
    expect(response.status).toBe(503);
    const body = await response.json<Health>();
    expect(body.status).toBe("degraded");
    expect(body.services?.payment?.status).toBe("down");
    expect(body.services?.order?.status).toBe("ok");
  });

  it("shows anyone else only the overall state, cached for a few seconds (issue 11, item 12)", async () => {
    for (const headers of [{}, await as({ roles: ["shopper"] })]) {
      const response = await edge("/v1/health", { headers }, { PAYMENT_URL: DEAD_URL });
      expect(response.status).toBe(503);
      expect(await response.json<Health>()).toEqual({ status: "degraded" });
      expect(response.headers.get("cache-control")).toMatch(/max-age=\d/);
    }
  });
});
