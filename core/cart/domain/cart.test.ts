import { describe, expect, it } from "bun:test";
import { applyWrite, assertWithinLimit, mergeLines } from "./cart";

describe("cart rules", () => {
  it("adds a guest's quantities to the account's, capped at the limit", () => {
    const merged = mergeLines(
      [
        { sku: "MILK-1L", quantity: 8 },
        { sku: "EGGS-12", quantity: 1 },
      ],
      [
        { sku: "MILK-1L", quantity: 5 },
        { sku: "BREAD-1", quantity: 2 },
      ],
      10,
    );
    expect(merged).toEqual([
      { sku: "MILK-1L", quantity: 10 },
      { sku: "EGGS-12", quantity: 1 },
      { sku: "BREAD-1", quantity: 2 },
    ]);
  });

  it("refuses a quantity above the limit, naming the field", () => {
    expect(() => assertWithinLimit(11, 10)).toThrow(
      expect.objectContaining({ status: 422, errors: [{ path: "quantity", message: "must be at most 10" }] }),
    );
    expect(() => assertWithinLimit(10, 10)).not.toThrow();
  });

  it("replays writes: set, remove with 0, clear", () => {
    let lines = applyWrite([], { sku: "MILK-1L", quantity: 2 });
    lines = applyWrite(lines, { sku: "EGGS-12", quantity: 1 });
    lines = applyWrite(lines, { sku: "MILK-1L", quantity: 0 });
    expect(lines).toEqual([{ sku: "EGGS-12", quantity: 1 }]);
    expect(applyWrite(lines, "clear")).toEqual([]);
  });
});
