import { describe, expect, it } from "bun:test";
import { type SagaInput, type SagaState, startSaga, type Transition, transition } from "./saga";

/** Runs inputs from a fresh saga and collects every command sent along the way. */
function run(...inputs: SagaInput[]): Transition & { sent: string[] } {
  let current = startSaga();
  const sent = [...current.commands];
  for (const input of inputs) {
    current = transition(current.state, input);
    sent.push(...current.commands);
  }
  return { ...current, sent };
}

const reserved: SagaInput = { type: "StockReserved" };
const authorized: SagaInput = { type: "PaymentAuthorized" };
const committed: SagaInput = { type: "StockCommitted" };
const delivering: SagaInput = { type: "DeliveryCreated", deliveryId: "d-1", etaMinutes: 9 };
const captured: SagaInput = { type: "PaymentCaptured" };

describe("the checkout saga", () => {
  it("walks reserve → authorize → commit → deliver → capture to CONFIRMED", () => {
    const result = run(reserved, authorized, committed, delivering, captured);
    expect(result.sent).toEqual([
      "ReserveStock",
      "AuthorizePayment",
      "CommitStock",
      "CreateDelivery",
      "CapturePayment",
    ]);
    expect(result.state).toMatchObject({ status: "CONFIRMED", deliveryId: "d-1", etaMinutes: 9 });
    expect(result.facts.at(-1)).toEqual({ kind: "confirmed", deliveryId: "d-1", etaMinutes: 9 });
  });

  it("rejects OUT_OF_STOCK without ever asking for payment", () => {
    const result = run({ type: "StockReservationFailed", detail: "SKU-1: 0 available" });
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "OUT_OF_STOCK" });
    expect(result.sent).toEqual(["ReserveStock"]);
  });

  it("releases the reservation when payment is declined", () => {
    const result = run(reserved, { type: "PaymentDeclined", detail: "card declined" });
    expect(result.commands).toEqual(["ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_DECLINED" });
  });

  it("voids the payment and releases stock when the provider times out", () => {
    const result = run(reserved, { type: "PaymentTimedOut" });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_TIMEOUT" });
  });

  it("voids the payment and releases stock when no rider is found", () => {
    const result = run(reserved, authorized, committed, {
      type: "DeliveryFailed",
      reason: "NO_RIDER",
      detail: "NO_RIDER",
    });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "NO_RIDER" });
  });

  it("cancels the delivery and releases stock when capture fails", () => {
    const result = run(reserved, authorized, committed, delivering, {
      type: "PaymentCaptureFailed",
      detail: "not authorized",
    });
    expect(result.commands).toEqual(["CancelDelivery", "VoidPayment", "ReleaseStock"]);
    expect(result.state.status).toBe("REJECTED");
  });

  it("compensates a step whose deadline passed, including the step that may have happened", () => {
    const atAuthorize = run(reserved).state;
    const result = transition(atAuthorize, { type: "DeadlinePassed", step: "AUTHORIZE_PAYMENT", attempt: 1 });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_TIMEOUT" });
  });

  it("cancels a possibly created delivery when its deadline passes", () => {
    const atDelivery = run(reserved, authorized, committed).state;
    const result = transition(atDelivery, { type: "DeadlinePassed", step: "CREATE_DELIVERY", attempt: 1 });
    expect(result.commands).toEqual(["CancelDelivery", "VoidPayment", "ReleaseStock"]);
  });

  it("resends an idempotent step on its deadline before giving up", () => {
    let state: SagaState = run(reserved, authorized).state;
    const sent: string[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = transition(state, { type: "DeadlinePassed", step: "COMMIT_STOCK", attempt });
      sent.push(...result.commands);
      state = result.state;
    }
    expect(sent).toEqual(["CommitStock", "CommitStock", "VoidPayment", "ReleaseStock"]);
    expect(state.status).toBe("REJECTED");
  });

  it("does not call a late reservation reply out of stock", () => {
    const result = transition(startSaga().state, {
      type: "DeadlinePassed",
      step: "RESERVE_STOCK",
      attempt: 1,
    });
    expect(result.commands).toEqual(["ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "INTERNAL_ERROR" });
  });

  it("ignores a deadline of a step or attempt it is no longer on", () => {
    const atAuthorize = run(reserved).state;
    expect(transition(atAuthorize, { type: "DeadlinePassed", step: "RESERVE_STOCK", attempt: 1 }).state).toBe(
      atAuthorize,
    );
  });

  it("voids a PaymentAuthorized that arrives after the saga compensated", () => {
    const compensated = transition(run(reserved).state, {
      type: "DeadlinePassed",
      step: "AUTHORIZE_PAYMENT",
      attempt: 1,
    }).state;
    const late = transition(compensated, authorized);
    expect(late.commands).toEqual(["VoidPayment"]);
    expect(late.state.status).toBe("REJECTED");
  });

  it("refunds a capture that arrives after the saga gave up on it", () => {
    const gaveUp = run(
      reserved,
      authorized,
      committed,
      delivering,
      { type: "DeadlinePassed", step: "CAPTURE_PAYMENT", attempt: 1 },
      { type: "DeadlinePassed", step: "CAPTURE_PAYMENT", attempt: 2 },
      { type: "DeadlinePassed", step: "CAPTURE_PAYMENT", attempt: 3 },
    ).state;
    expect(gaveUp.status).toBe("REJECTED");
    expect(transition(gaveUp, captured).commands).toEqual(["RefundPayment"]);
  });

  it("applies a duplicate reply only once", () => {
    const once = run(reserved).state;
    const twice = transition(once, reserved);
    expect(twice.commands).toEqual([]);
    expect(twice.state).toBe(once);
  });

  it("ignores a failure for a step it is not waiting on", () => {
    const atAuthorize = run(reserved).state;
    expect(transition(atAuthorize, { type: "StockCommitFailed", detail: "EXPIRED" }).commands).toEqual([]);
  });

  it("records a cancel while PENDING and compensates everything at the next reply", () => {
    const requested = transition(run(reserved).state, { type: "CancelRequested" });
    expect(requested.commands).toEqual([]);
    expect(requested.facts).toEqual([{ kind: "cancel_requested" }]);
    const result = transition(requested.state, authorized);
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "CANCELLED", reason: "CANCELLED_BY_SHOPPER" });
  });

  it("cancels a confirmed order before pick-up with delivery cancel, refund and release", () => {
    const confirmed = run(reserved, authorized, committed, delivering, captured).state;
    const result = transition(confirmed, { type: "CancelRequested" });
    expect(result.commands).toEqual(["RefundPayment", "CancelDelivery", "ReleaseStock"]);
    expect(result.state.status).toBe("CANCELLED");
  });

  it("refuses to cancel once the rider has picked the order up", () => {
    const pickedUp = run(reserved, authorized, committed, delivering, captured, { type: "PickedUp" }).state;
    expect(transition(pickedUp, { type: "CancelRequested" }).commands).toEqual([]);
  });
});
