import { describe, expect, it } from "vitest";
import { as, edge, receivedByCore, requestId } from "../../test/helpers";

const storeId = "0193a000-0000-7000-8000-0000000000a1";
const taskId = "0193a000-0000-7000-8000-0000000000c3";
const lines = [
  { sku: "MILK-1L", picked: 1 },
  { sku: "BREAD-500G", picked: 0, substituteSku: "BREAD-RYE" },
];

const call = async (path: string, headers: Record<string, string>, init: RequestInit = {}) => {
  const id = requestId();
  const response = await edge(path, {
    ...init,
    headers: { ...headers, ...(init.headers as Record<string, string>), "x-request-id": id },
  });
  // The edge may fetch auth's keys under the same request id; only the forwarded call counts.
  const received = async () => (await receivedByCore(id)).filter(({ path }) => !path.startsWith("/v1/auth/"));
  return { response, received };
};
const claim = (headers: Record<string, string>, store = storeId) =>
  call(`/v1/stores/${store}/pick-tasks/next`, headers);
const complete = (headers: Record<string, string>, body: unknown, task = taskId) =>
  call(`/v1/pick-tasks/${task}/complete`, headers, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("pick tasks", () => {
  it("forwards a store_staff claim to delivery with the stores the token names", async () => {
    const { response, received } = await claim(await as({ roles: ["store_staff"], storeIds: [storeId] }));
    expect(response.status).toBe(200);
    const [forwarded] = await received();
    expect(forwarded?.method).toBe("GET");
    expect(forwarded?.path).toBe(`/v1/stores/${storeId}/pick-tasks/next`);
    expect(forwarded?.headers["x-user-roles"]).toBe("store_staff");
    expect(forwarded?.headers["x-user-stores"]).toBe(storeId);
  });

  it("forwards a completion with the validated body, missing items and substitutes included", async () => {
    const { response, received } = await complete(await as({ roles: ["store_staff"], storeIds: [storeId] }), {
      lines,
    });
    expect(response.status).toBe(201);
    const [forwarded] = await received();
    expect(forwarded?.path).toBe(`/v1/pick-tasks/${taskId}/complete`);
    expect(JSON.parse(forwarded?.body ?? "null")).toEqual({ lines });
  });

  it("refuses shoppers (403) and anonymous callers (401) before core sees them", async () => {
    const shopper = await as({ roles: ["shopper"] });
    for (const attempt of [await claim(shopper), await complete(shopper, { lines }), await claim({})]) {
      expect([401, 403]).toContain(attempt.response.status);
      expect(await attempt.received()).toEqual([]);
    }
    expect((await claim(shopper)).response.status).toBe(403);
    expect((await claim({})).response.status).toBe(401);
  });

  it("answers 400 naming the field for a bad store id, task id or line, before core sees them", async () => {
    const staff = await as({ roles: ["store_staff"], storeIds: [storeId] });
    const attempts = [
      [await claim(staff, "not-a-store"), "storeId"],
      [await complete(staff, { lines }, "not-a-task"), "taskId"],
      [await complete(staff, { lines: [{ sku: "MILK-1L", picked: -1 }] }), "picked"],
      [await complete(staff, { lines: [] }), "lines"],
      [
        await complete(staff, { lines: [{ sku: "MILK-1L", picked: 0, substituteSku: "oat milk" }] }),
        "substituteSku",
      ],
    ] as const;
    for (const [attempt, field] of attempts) {
      expect(attempt.response.status).toBe(400);
      expect(attempt.response.headers.get("content-type")).toContain("application/problem+json");
      expect(JSON.stringify(await attempt.response.json())).toContain(field);
      expect(await attempt.received()).toEqual([]);
    }
  });
});
