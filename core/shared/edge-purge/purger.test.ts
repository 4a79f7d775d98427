import { describe, expect, it } from "bun:test";
import type { PurgeScope } from "@qc/contracts";
import * as edge from "../../../edge/src/cache/scopes";
import { distinctScopes, newVersion, versionKey } from "./purger";

const scopes: PurgeScope[] = [
  { kind: "catalog" },
  { kind: "stores" },
  { kind: "store", storeId: "0193a000-0000-7000-8000-000000000001" },
  { kind: "product", storeId: "0193a000-0000-7000-8000-000000000001", sku: "MILK-1L" },
  { kind: "cart", userId: "0193a000-0000-7000-8000-0000000000ff" },
];

describe("version keys", () => {
  it("are the keys the edge reads, for every kind of scope", () => {
    for (const scope of scopes) expect(versionKey(scope)).toBe(edge.versionKey(scope));
  });

  it("get versions shaped like the edge's own", () => {
    expect(newVersion()).toMatch(/^[0-9a-f]{8}$/);
    expect(edge.newVersion()).toMatch(/^[0-9a-f]{8}$/);
  });

  it("collapse repeated scopes", () => {
    expect(distinctScopes([...scopes, ...scopes])).toEqual(scopes);
  });
});
