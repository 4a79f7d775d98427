import { describe, expect, it } from "bun:test";
import { PutCartItemBody } from "./cart";
import { ProductsQuery } from "./catalog";
import { OrdersQuery } from "./orders";
import { ServiceabilityQuery } from "./stores";

const storeId = "0190a6e0-0000-7000-8000-000000000002";

describe("query schemas", () => {
  it("coerce numeric strings", () => {
    expect(ServiceabilityQuery.parse({ lat: "12.97", lng: "77.59" })).toEqual({ lat: 12.97, lng: 77.59 });
  });

  it("treat a blank number as missing rather than zero", () => {
    expect(ServiceabilityQuery.safeParse({ lat: "", lng: "77.59" }).success).toBe(false);
  });

  it("default limit to 20 and bound it to 1..100", () => {
    expect(ProductsQuery.parse({ storeId }).limit).toBe(20);
    expect(OrdersQuery.parse({ limit: "100" }).limit).toBe(100);
    for (const limit of ["0", "101", "5.5", "many"]) {
      expect(OrdersQuery.safeParse({ limit }).success).toBe(false);
    }
  });
});

describe("PutCartItemBody", () => {
  it("allows 0 to remove a line and refuses negative or fractional quantities", () => {
    expect(PutCartItemBody.parse({ storeId, quantity: 0 }).quantity).toBe(0);
    expect(PutCartItemBody.safeParse({ storeId, quantity: -1 }).success).toBe(false);
    expect(PutCartItemBody.safeParse({ storeId, quantity: 1.5 }).success).toBe(false);
  });
});
