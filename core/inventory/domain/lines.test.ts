import { describe, expect, it } from "bun:test";
import { heldLines, normalizeLines, shortfall, splitHeld } from "./lines";

describe("reservation lines", () => {
  it("sums duplicate SKUs and sorts lines so rows are always locked in one order", () => {
    expect(
      normalizeLines([
        { sku: "MILK-1", quantity: 1 },
        { sku: "BREAD-1", quantity: 2 },
        { sku: "MILK-1", quantity: 3 },
      ]),
    ).toEqual([
      { sku: "BREAD-1", quantity: 2 },
      { sku: "MILK-1", quantity: 4 },
    ]);
  });

  it("reports every short line and calls a SKU the store never stocked unknown", () => {
    const lines = [
      { sku: "AAA-1", quantity: 2 },
      { sku: "BBB-1", quantity: 1 },
      { sku: "CCC-1", quantity: 5 },
    ];
    const available = new Map([
      ["AAA-1", 1],
      ["BBB-1", 9],
    ]);
    expect(shortfall(lines, available, "AAA-1")).toEqual({
      reason: "UNKNOWN_SKU",
      unavailable: [
        { sku: "AAA-1", requested: 2, available: 1 },
        { sku: "CCC-1", requested: 5, available: 0 },
      ],
    });
  });

  it("still names the line that failed when stock came back in the meantime", () => {
    const result = shortfall([{ sku: "AAA-1", quantity: 2 }], new Map([["AAA-1", 5]]), "AAA-1");
    expect(result).toEqual({
      reason: "OUT_OF_STOCK",
      unavailable: [{ sku: "AAA-1", requested: 2, available: 1 }],
    });
  });

  it("holds the substitutes beside the ordered lines, one line per SKU", () => {
    expect(
      heldLines({
        lines: [{ sku: "MILK-1", quantity: 2 }],
        substitutes: [
          { sku: "OAT-1", quantity: 1 },
          { sku: "OAT-1", quantity: 1 },
        ],
      }),
    ).toEqual([
      { sku: "MILK-1", quantity: 2 },
      { sku: "OAT-1", quantity: 2 },
    ]);
  });

  it("sells the picked units of a hold and releases the rest, never more than is held", () => {
    const held = [
      { sku: "AAA-1", quantity: 3 },
      { sku: "BBB-1", quantity: 2 },
      { sku: "CCC-1", quantity: 1 },
    ];
    const picked = [
      { sku: "AAA-1", quantity: 1 },
      { sku: "CCC-1", quantity: 5 },
      { sku: "ZZZ-1", quantity: 1 },
    ];
    expect(splitHeld(held, picked)).toEqual({
      sold: [
        { sku: "AAA-1", quantity: 1 },
        { sku: "CCC-1", quantity: 1 },
      ],
      moves: [
        { line: { sku: "AAA-1", quantity: 1 }, move: "sell" },
        { line: { sku: "AAA-1", quantity: 2 }, move: "release" },
        { line: { sku: "BBB-1", quantity: 2 }, move: "release" },
        { line: { sku: "CCC-1", quantity: 1 }, move: "sell" },
      ],
    });
  });
});
