import { describe, expect, it } from "bun:test";
import { checkBag, itemsChangedNotice, notificationOf, onLapsed, onTaken } from "./picking";

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

  const ordered = [
    { sku: "MILK-1L", quantity: 2 },
    { sku: "EGGS-10", quantity: 1 },
  ];

  it("accepts a bag with every line picked in full, and names each field that is not one line per SKU", () => {
    expect(
      checkBag(
        ordered,
        [
          { sku: "EGGS-10", picked: 1 },
          { sku: "MILK-1L", picked: 2 },
        ],
        false,
      ),
    ).toEqual({
      lines: [
        { sku: "MILK-1L", quantity: 2, picked: 2 },
        { sku: "EGGS-10", quantity: 1, picked: 1 },
      ],
    });
    expect(
      checkBag(
        ordered,
        [
          { sku: "MILK-1L", picked: 2 },
          { sku: "MILK-1L", picked: 2 },
          { sku: "TEA-50", picked: 1 },
        ],
        false,
      ),
    ).toEqual({
      errors: [
        { path: "lines.1.sku", message: "reported twice" },
        { path: "lines.2.sku", message: "not in this order" },
        { path: "lines", message: "EGGS-10 is missing" },
      ],
    });
  });

  it("takes missing units and a substitute for them when the shopper allowed it", () => {
    expect(
      checkBag(
        ordered,
        [
          { sku: "MILK-1L", picked: 0, substituteSku: "OAT-1L" },
          { sku: "EGGS-10", picked: 0 },
        ],
        true,
      ),
    ).toEqual({
      lines: [
        { sku: "MILK-1L", quantity: 2, picked: 0, substitute: { sku: "OAT-1L", quantity: 2 } },
        { sku: "EGGS-10", quantity: 1, picked: 0 },
      ],
    });
  });

  it("refuses more than was ordered, a substitute the shopper did not allow, and one for nothing missing", () => {
    const errors = (reported: Parameters<typeof checkBag>[1], allow: boolean) =>
      (checkBag(ordered, reported, allow) as { errors: unknown[] }).errors;
    expect(
      errors(
        [
          { sku: "MILK-1L", picked: 3 },
          { sku: "EGGS-10", picked: 0, substituteSku: "EGGS-6" },
        ],
        false,
      ),
    ).toEqual([
      { path: "lines.0.picked", message: "at most 2, what was ordered" },
      { path: "lines.1.substituteSku", message: "the shopper did not allow substitutes" },
    ]);
    expect(
      errors(
        [
          { sku: "MILK-1L", picked: 2, substituteSku: "OAT-1L" },
          { sku: "EGGS-10", picked: 0, substituteSku: "MILK-1L" },
        ],
        true,
      ),
    ).toEqual([
      { path: "lines.0.substituteSku", message: "nothing is missing on this line" },
      { path: "lines.1.substituteSku", message: "already in this order" },
    ]);
    expect(
      errors(
        [
          { sku: "MILK-1L", picked: 0 },
          { sku: "EGGS-10", picked: 0 },
        ],
        true,
      ),
    ).toEqual([{ path: "lines", message: "nothing was picked" }]);
  });

  it("tells the shopper what changed in the bag, and nothing when it came as ordered", () => {
    const order = { orderId: "o", userId: "u" };
    const notice = itemsChangedNotice("n", order, [
      {
        sku: "MILK-1L",
        quantity: 2,
        picked: 0,
        substitute: { sku: "OAT-1L", quantity: 2, unitPriceMinor: 1 },
      },
      { sku: "EGGS-10", quantity: 3, picked: 1 },
      { sku: "TEA-50", quantity: 1, picked: 1 },
    ]);
    expect(notice).toMatchObject({ kind: "ITEMS_CHANGED", notificationId: "n" });
    expect(notice?.body).toBe(
      "Changes to your order: MILK-1L: 2 replaced by OAT-1L; EGGS-10: 2 of 3 not available, not charged",
    );
    expect(itemsChangedNotice("n", order, [{ sku: "TEA-50", quantity: 1, picked: 1 }])).toBeNull();
  });

  it("tells the shopper of confirmation, packing and the rider's steps, and of nothing else", () => {
    const order = { orderId: "o", userId: "u" };
    expect(notificationOf("n1", order, "CONFIRMED", 12)?.body).toContain("12 minutes");
    expect(notificationOf("n2", order, "PACKED")).toMatchObject({ notificationId: "n2", kind: "PACKED" });
    expect(notificationOf("n3", order, "PENDING")).toBeNull();
    expect(notificationOf("n4", order, "REJECTED")).toBeNull();
  });
});
