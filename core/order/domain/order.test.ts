import { describe, expect, it } from "bun:test";
import { movesForward, type RecordedEvent, replay, toView } from "./order";

const inr = (amountMinor: number) => ({ amountMinor, currency: "INR" });
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const placed: RecordedEvent = {
  type: "OrderPlaced",
  version: 1,
  occurredAt: at(0),
  data: {
    userId: "u",
    storeId: "s",
    lines: [{ sku: "MILK-1L", quantity: 2, unitPriceMinor: 250 }],
    subtotal: inr(500),
    deliveryFee: inr(30),
    discount: inr(0),
    total: inr(530),
    address: { line1: "12 MG Road", lat: 12.9, lng: 77.5 },
    couponCode: null,
  },
};

describe("the order aggregate", () => {
  it("folds its events into status, ETA and step history", () => {
    const state = replay("o-1", [
      placed,
      {
        type: "StepRecorded",
        version: 2,
        occurredAt: at(1),
        data: { step: "RESERVE_STOCK_DONE", detail: null },
      },
      { type: "OrderConfirmed", version: 3, occurredAt: at(2), data: { deliveryId: "d", etaMinutes: 9 } },
      { type: "DeliveryProgressed", version: 4, occurredAt: at(3), data: { status: "PICKED_UP" } },
    ]);
    expect(state).toMatchObject({ status: "PICKED_UP", etaMinutes: 9, version: 4, updatedAt: at(3) });
    const view = toView(state);
    expect(view.history.map((entry) => entry.step)).toEqual([
      "PLACED",
      "RESERVE_STOCK_DONE",
      "CONFIRMED",
      "PICKED_UP",
    ]);
    expect(view.lines).toEqual([{ sku: "MILK-1L", quantity: 2, unitPrice: inr(250), lineTotal: inr(500) }]);
  });

  it("charges what the store packed: picked units, a dearer substitute at the line's price, nothing missing", () => {
    const twoLines: RecordedEvent = {
      ...placed,
      data: {
        ...placed.data,
        lines: [
          { sku: "MILK-1L", quantity: 2, unitPriceMinor: 250 },
          { sku: "EGGS-10", quantity: 3, unitPriceMinor: 400 },
        ],
        subtotal: inr(1_700),
        discount: inr(100),
        total: inr(1_630),
      },
    };
    const packed: RecordedEvent = {
      type: "OrderPacked",
      version: 2,
      occurredAt: at(1),
      data: {
        taskId: "t",
        lines: [
          { sku: "MILK-1L", quantity: 2, picked: 1 },
          {
            sku: "EGGS-10",
            quantity: 3,
            picked: 1,
            substitute: { sku: "EGGS-6", quantity: 2, unitPriceMinor: 900 },
          },
        ],
      },
    };
    const state = replay("o-3", [twoLines, packed]);
    // 1 × 250 + 1 × 400 + 2 × min(900, 400) = 1,450; minus the discount, plus the fee.
    expect(state).toMatchObject({
      status: "PACKED",
      subtotal: inr(1_450),
      discount: inr(100),
      total: inr(1_380),
    });
    expect(toView(state).lines).toEqual([
      { sku: "MILK-1L", quantity: 2, unitPrice: inr(250), lineTotal: inr(250), picked: 1 },
      {
        sku: "EGGS-10",
        quantity: 3,
        unitPrice: inr(400),
        lineTotal: inr(400),
        picked: 1,
        substitute: { sku: "EGGS-6", quantity: 2, unitPrice: inr(400), lineTotal: inr(800) },
      },
    ]);
    // A packing recorded before the bag was kept changes no amount.
    const unreported = replay("o-4", [twoLines, { ...packed, data: { taskId: "t" } }]);
    expect(unreported).toMatchObject({ status: "PACKED", total: inr(1_630) });
  });

  it("never charges more than was placed, nor a discount above what is charged", () => {
    const discounted: RecordedEvent = {
      ...placed,
      data: { ...placed.data, discount: inr(400), total: inr(130) },
    };
    const state = replay("o-5", [
      discounted,
      {
        type: "OrderPacked",
        version: 2,
        occurredAt: at(1),
        data: { taskId: "t", lines: [{ sku: "MILK-1L", quantity: 2, picked: 1 }] },
      },
    ]);
    expect(state).toMatchObject({ subtotal: inr(250), discount: inr(250), total: inr(30) });
  });

  it("refuses a stream that does not start with OrderPlaced", () => {
    expect(() =>
      replay("o-2", [
        { type: "OrderCancelled", version: 1, occurredAt: at(0), data: { reason: "CANCELLED_BY_SHOPPER" } },
      ]),
    ).toThrow("before OrderPlaced");
  });

  it("moves a confirmed order forward only, never back or after it ended", () => {
    expect(movesForward("CONFIRMED", "PICKED_UP")).toBe(true);
    expect(movesForward("PICKED_UP", "DELIVERED")).toBe(true);
    expect(movesForward("OUT_FOR_DELIVERY", "PICKED_UP")).toBe(false);
    expect(movesForward("PICKED_UP", "PICKED_UP")).toBe(false);
    expect(movesForward("PENDING", "PICKED_UP")).toBe(false);
    expect(movesForward("CANCELLED", "DELIVERED")).toBe(false);
  });
});
