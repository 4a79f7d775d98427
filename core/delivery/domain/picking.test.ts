import { describe, expect, it } from "bun:test";
import { notificationOf, onLapsed, onTaken, packedLines } from "./picking";

const storeId = "0193a000-0000-7000-8000-0000000000a1";
const task = (over: Partial<Parameters<typeof onTaken>[0] & object> = {}) => ({
  status: "QUEUED",
  store_id: storeId,
  attempts: 0,
  claim_id: null as string | null,
  lapsed: false,
  ...over,
});

describe("picking domain", () => {
  it("claims a queued task or one whose claim lapsed with attempts left; holds back a live claim's copy", () => {
    expect(onTaken(task(), storeId, 3)).toBe("claim");
    expect(onTaken(task({ status: "CLAIMED", attempts: 2, lapsed: true }), storeId, 3)).toBe("claim");
    expect(onTaken(task({ status: "CLAIMED", attempts: 3, lapsed: true }), storeId, 3)).toBe("dead");
    expect(onTaken(task({ status: "CLAIMED", attempts: 1 }), storeId, 3)).toBe("later");
    expect(onTaken(task({ status: "PACKED" }), storeId, 3)).toBe("done");
    expect(onTaken(task({ status: "CANCELLED" }), storeId, 3)).toBe("done");
    expect(onTaken(undefined, storeId, 3)).toBe("dead");
    expect(onTaken(task({ store_id: "another" }), storeId, 3)).toBe("dead");
  });

  it("sends a lapsed claim's task back, or to the dead letters after its attempts; others are done", () => {
    const claimed = task({ status: "CLAIMED", claim_id: "c1", attempts: 1 });
    expect(onLapsed(claimed, "c1", 3)).toBe("later");
    expect(onLapsed({ ...claimed, attempts: 3 }, "c1", 3)).toBe("dead");
    expect(onLapsed(claimed, "c2", 3)).toBe("done");
    expect(onLapsed({ ...claimed, status: "PACKED" }, "c1", 3)).toBe("done");
  });

  it("accepts a bag with every line picked in full, and names each field that is not", () => {
    const ordered = [
      { sku: "MILK-1L", quantity: 2 },
      { sku: "EGGS-10", quantity: 1 },
    ];
    expect(
      packedLines(ordered, [
        { sku: "EGGS-10", picked: 1 },
        { sku: "MILK-1L", picked: 2 },
      ]),
    ).toEqual({
      lines: [
        { sku: "MILK-1L", quantity: 2, picked: 2 },
        { sku: "EGGS-10", quantity: 1, picked: 1 },
      ],
    });
    expect(
      packedLines(ordered, [
        { sku: "MILK-1L", picked: 2 },
        { sku: "MILK-1L", picked: 2 },
        { sku: "TEA-50", picked: 1 },
      ]),
    ).toEqual({
      errors: [
        { path: "lines.1.sku", message: "reported twice" },
        { path: "lines.2.sku", message: "not in this order" },
        { path: "lines", message: "EGGS-10 is missing" },
      ],
    });
  });

  it("tells the shopper of confirmation, packing and the rider's steps, and of nothing else", () => {
    const order = { orderId: "o", userId: "u" };
    expect(notificationOf("n1", order, "CONFIRMED", 12)?.body).toContain("12 minutes");
    expect(notificationOf("n2", order, "PACKED")).toMatchObject({ notificationId: "n2", kind: "PACKED" });
    expect(notificationOf("n3", order, "PENDING")).toBeNull();
    expect(notificationOf("n4", order, "REJECTED")).toBeNull();
  });
});
