import { describe, expect, it } from "bun:test";
import { decodeCursor, encodeCursor } from "./cursor";

describe("order-list cursor (issue 11, item 1)", () => {
  it("decodes what it encoded", () => {
    const cursor = { createdAt: new Date("2026-12-02T10:00:00.000Z"), orderId: Bun.randomUUIDv7() };
    expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor);
  });

  it("refuses a cursor whose id is not a UUID, before it reaches Postgres", () => {
    const forged = Buffer.from("2026-12-02T10:00:00.000Z|not-a-uuid").toString("base64url");
    expect(decodeCursor(forged)).toBeNull();
    expect(decodeCursor(Buffer.from("2026-12-02T10:00:00.000Z|x\u0000").toString("base64url"))).toBeNull();
  });
});
