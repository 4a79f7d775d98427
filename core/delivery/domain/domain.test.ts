import { describe, expect, it } from "bun:test";
import { distanceMeters, etaMinutes } from "./geo";
import { canMove } from "./transitions";

describe("delivery domain", () => {
  it("measures about 1.11 km per 0.01° of latitude", () => {
    expect(distanceMeters({ lat: 12.9, lng: 77.6 }, { lat: 12.91, lng: 77.6 })).toBeCloseTo(1112, -1);
  });

  it("estimates packing time, the ride to the store and the ride to the shopper", () => {
    const store = { lat: 12.9, lng: 77.6 };
    // Rider at the store: 3 min packing + 1112 m at 250 m/min → 7.45 → 8.
    expect(etaMinutes(store, store, { lat: 12.91, lng: 77.6 })).toBe(8);
    // A rider 2.2 km away takes longer than packing to arrive.
    expect(etaMinutes({ lat: 12.88, lng: 77.6 }, store, { lat: 12.91, lng: 77.6 })).toBe(14);
  });

  it("lets a rider move an order only one step forward", () => {
    expect(canMove("ASSIGNED", "PICKED_UP")).toBe(true);
    expect(canMove("PICKED_UP", "OUT_FOR_DELIVERY")).toBe(true);
    expect(canMove("OUT_FOR_DELIVERY", "DELIVERED")).toBe(true);
    expect(canMove("ASSIGNED", "DELIVERED")).toBe(false);
    expect(canMove("DELIVERED", "PICKED_UP")).toBe(false);
    expect(canMove("PENDING_RIDER", "PICKED_UP")).toBe(false);
  });
});
