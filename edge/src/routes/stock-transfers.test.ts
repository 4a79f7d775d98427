import { describe, expect, it } from "vitest";
import { as, edge, receivedByCore, requestId } from "../../test/helpers";

const body = {
  fromStoreId: "0193a000-0000-7000-8000-0000000000a1",
  toStoreId: "0193a000-0000-7000-8000-0000000000b2",
  sku: "MILK-1L",
  quantity: 4,
};

const post = async (roles: string[], headers: Record<string, string>, payload: unknown = body) => {
  const id = requestId();
  const response = await edge("/v1/admin/stock-transfers", {
    method: "POST",
    headers: { ...(await as({ roles })), ...headers, "content-type": "application/json", "x-request-id": id },
    body: JSON.stringify(payload),
  });
  const received = async () =>
    (await receivedByCore(id)).filter(({ path }) => path.startsWith("/v1/admin/stock-transfers"));
  return { response, received };
};

describe("POST /v1/admin/stock-transfers", () => {
  it("forwards an admin's transfer to inventory with its Idempotency-Key", async () => {
    const key = `transfer-${crypto.randomUUID()}`;
    const { response, received } = await post(["admin"], { "idempotency-key": key });
    expect(response.status).toBeLessThan(300);
    const [call] = await received();
    expect(call?.method).toBe("POST");
    expect(call?.headers["idempotency-key"]).toBe(key);
    expect(JSON.parse(call?.body ?? "null")).toEqual(body);
  });

  it("refuses store staff (403), a missing key and bad fields (400 naming them) before core sees them", async () => {
    const staff = await post(["store_staff"], { "idempotency-key": `transfer-${crypto.randomUUID()}` });
    expect(staff.response.status).toBe(403);
    expect(await staff.received()).toEqual([]);
    const keyless = await post(["admin"], {});
    expect(keyless.response.status).toBe(400);
    expect(JSON.stringify(await keyless.response.json())).toContain("idempotency-key");
    const bad = await post(
      ["admin"],
      { "idempotency-key": `transfer-${crypto.randomUUID()}` },
      { ...body, quantity: 0 },
    );
    expect(bad.response.status).toBe(400);
    expect(bad.response.headers.get("content-type")).toContain("application/problem+json");
    expect(JSON.stringify(await bad.response.json())).toContain("quantity");
    expect([...(await keyless.received()), ...(await bad.received())]).toEqual([]);
  });
});
