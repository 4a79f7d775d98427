import { describe, expect, it } from "bun:test";
import { slugOf } from "./category";
import { etaMinutes } from "./eta";
import { decodeCursor, encodeCursor, prefixTsQuery } from "./search";

describe("catalog rules", () => {
  it("estimates 8 minutes plus 2 per km, rounded", () => {
    expect(etaMinutes(0)).toBe(8);
    expect(etaMinutes(1.26)).toBe(11);
    expect(etaMinutes(3)).toBe(14);
  });

  it("slugs category names", () => {
    expect(slugOf("Fruits & Vegetables")).toBe("fruits-vegetables");
    expect(slugOf("  Dairy ")).toBe("dairy");
    expect(slugOf("!!!")).toBe("");
  });

  it("turns search text into a prefix query that cannot carry operators", () => {
    expect(prefixTsQuery("Ban  MILK")).toBe("ban:* & milk:*");
    expect(prefixTsQuery("a|b & !c:*")).toBe("a:* & b:* & c:*");
    expect(prefixTsQuery("  -- ")).toBeNull();
  });

  it("round-trips a cursor and refuses a foreign one", () => {
    expect(decodeCursor(encodeCursor("MILK-1L"))).toBe("MILK-1L");
    expect(decodeCursor("not a cursor")).toBeNull();
  });
});
