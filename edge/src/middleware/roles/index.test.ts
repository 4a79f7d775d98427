import { describe, expect, it } from "vitest";
import { as, edge } from "../../../test/helpers";

const STORE = "0190a5c0-0000-7000-8000-000000000001";
const stock = (sku: string) =>
  [
    `/v1/admin/stores/${STORE}/stock/${sku}`,
    { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ onHand: 5 }) },
  ] as const;

describe("requireRole", () => {
  it("answers 403 problem+json to a valid token without the role", async () => {
    const [path, init] = stock("MILK-1");
    const response = await edge(path, {
      ...init,
      headers: { ...init.headers, ...(await as({ roles: ["shopper"] })) },
    });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 403, title: "Forbidden" });
  });

  it("lets any of the allowed roles through", async () => {
    for (const role of ["admin", "store_staff"]) {
      const [path, init] = stock("MILK-1");
      const response = await edge(path, {
        ...init,
        headers: { ...init.headers, ...(await as({ roles: [role] })) },
      });
      expect(response.status).toBe(200);
    }
  });

  it("keeps riders' routes to riders", async () => {
    const path = `/v1/deliveries/${crypto.randomUUID()}/status`;
    const init = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"status":"PICKED_UP"}',
    };
    expect(
      (await edge(path, { ...init, headers: { ...init.headers, ...(await as({ roles: ["shopper"] })) } }))
        .status,
    ).toBe(403);
    expect(
      (await edge(path, { ...init, headers: { ...init.headers, ...(await as({ roles: ["rider"] })) } }))
        .status,
    ).toBe(201);
  });
});
