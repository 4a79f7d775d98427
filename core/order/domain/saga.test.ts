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
const riderAssigned: SagaInput = { type: "DeliveryCreated", deliveryId: "d-1", etaMinutes: 9 };
const outOfStock: SagaInput = { type: "StockReservationFailed", detail: "SKU-1: 0 available" };
const declined: SagaInput = { type: "PaymentDeclined", detail: "card declined" };
const deadline = (state: SagaState): SagaInput => ({ type: "DeadlinePassed", attempt: state.attempt });

describe("the checkout saga", () => {
  it("reserves stock and authorizes payment in parallel, then assigns a rider: CONFIRMED", () => {
    const started = startSaga();
    expect(started.commands).toEqual(["ReserveStock", "AuthorizePayment"]);
    const result = run(authorized, reserved, riderAssigned);
    expect(result.sent).toEqual(["ReserveStock", "AuthorizePayment", "CreateDelivery"]);
    expect(result.state).toMatchObject({
      status: "CONFIRMED",
      deliveryId: "d-1",
      etaMinutes: 9,
      outstanding: [],
    });
    expect(result.facts.at(-1)).toEqual({ kind: "confirmed", deliveryId: "d-1", etaMinutes: 9 });
  });

  it("waits for both parallel branches before assigning a rider", () => {
    const oneBranch = run(reserved);
    expect(oneBranch.commands).toEqual([]);
    expect(oneBranch.state.outstanding).toEqual(["AUTHORIZE_PAYMENT"]);
  });

  it("voids the payment branch when the stock branch fails, even before payment answered", () => {
    const result = run(outOfStock);
    expect(result.commands).toEqual(["VoidPayment"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "OUT_OF_STOCK", outstanding: [] });
  });

  it("releases the reservation when payment is declined", () => {
    const result = run(reserved, declined);
    expect(result.commands).toEqual(["ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_DECLINED" });
  });

  it("releases a reservation still on its way when payment is declined first, and only once", () => {
    const rejected = run(declined);
    expect(rejected.commands).toEqual(["ReleaseStock"]);
    const late = transition(rejected.state, reserved);
    expect(late.commands).toEqual([]);
  });

  it("voids the payment and releases stock when the provider times out", () => {
    const result = run(reserved, { type: "PaymentTimedOut" });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_TIMEOUT" });
  });

  it("voids the payment and releases stock when no rider is found", () => {
    const result = run(reserved, authorized, {
      type: "DeliveryFailed",
      reason: "NO_RIDER",
      detail: "NO_RIDER",
    });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "NO_RIDER" });
  });

  it("compensates both branches when their deadline passes", () => {
    const waiting = run(reserved).state;
    const result = transition(waiting, deadline(waiting));
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "PAYMENT_TIMEOUT" });
  });

  it("cancels a possibly created delivery when the rider deadline passes", () => {
    const waiting = run(reserved, authorized).state;
    const result = transition(waiting, deadline(waiting));
    expect(result.commands).toEqual(["CancelDelivery", "VoidPayment", "ReleaseStock"]);
    expect(result.state).toMatchObject({ status: "REJECTED", reason: "NO_RIDER" });
  });

  it("blames the step whose deadline passed when both branches are late", () => {
    const waiting = startSaga().state;
    const result = transition(waiting, { type: "DeadlinePassed", attempt: 0, late: "AUTHORIZE_PAYMENT" });
    expect(result.state.reason).toBe("PAYMENT_TIMEOUT");
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
  });

  it("ignores a deadline of an earlier attempt", () => {
    const waiting = run(reserved).state;
    const result = transition(waiting, { type: "DeadlinePassed", attempt: waiting.attempt + 1 });
    expect(result.state).toBe(waiting);
  });

  it("compensates a late success of a saga that gave up, once", () => {
    const rejected = run(outOfStock).state;
    const late = transition(rejected, authorized);
    // The void went out with the rejection already.
    expect(late.commands).toEqual([]);
    const timedOut = transition(run(reserved, authorized).state, deadline(run(reserved, authorized).state));
    const lateRider = transition(timedOut.state, riderAssigned);
    expect(lateRider.commands).toEqual([]);
  });

  it("commits stock at pick-up and captures the payment at delivery, resending each on its deadline", () => {
    const confirmed = run(reserved, authorized, riderAssigned).state;
    const pickedUp = transition(confirmed, { type: "PickedUp" });
    expect(pickedUp.commands).toEqual(["CommitStock"]);
    expect(pickedUp.state).toMatchObject({
      status: "CONFIRMED",
      pickedUp: true,
      outstanding: ["COMMIT_STOCK"],
    });
    const resent = transition(pickedUp.state, deadline(pickedUp.state));
    expect(resent.commands).toEqual(["CommitStock"]);
    const committed = transition(resent.state, { type: "StockCommitted" });
    expect(committed.state.outstanding).toEqual([]);
    const delivered = transition(committed.state, { type: "Delivered" });
    expect(delivered.commands).toEqual(["CapturePayment"]);
    const captured = transition(delivered.state, { type: "PaymentCaptured" });
    expect(captured.state.outstanding).toEqual([]);
    expect(captured.state.completed).toContain("CAPTURE_PAYMENT");
    // A repeated pick-up report sends nothing again.
    expect(transition(captured.state, { type: "PickedUp" }).commands).toEqual([]);
  });

  it("commits the stock once the store packed the order, and not again at pick-up", () => {
    const packed = transition(run(reserved, authorized, riderAssigned).state, { type: "Packed" });
    expect(packed.commands).toEqual(["CommitStock"]);
    expect(packed.state).toMatchObject({ pickedUp: false, outstanding: ["COMMIT_STOCK"] });
    const committed = transition(packed.state, { type: "StockCommitted" });
    const pickedUp = transition(committed.state, { type: "PickedUp" });
    expect(pickedUp.commands).toEqual([]);
    expect(pickedUp.state.pickedUp).toBe(true);
  });

  it("gives up resending after three attempts and leaves it to an operator", () => {
    let state = transition(run(reserved, authorized, riderAssigned).state, { type: "Delivered" }).state;
    const sent: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = transition(state, deadline(state));
      sent.push(...result.commands);
      state = result.state;
    }
    expect(sent).toEqual(["CapturePayment", "CapturePayment", "CapturePayment"]);
    expect(state).toMatchObject({ status: "CONFIRMED", outstanding: [] });
  });

  it("records a cancel while PENDING and compensates at the next reply", () => {
    const requested = run(reserved, { type: "CancelRequested" });
    expect(requested.state).toMatchObject({ status: "RUNNING", cancelRequested: true });
    const ended = transition(requested.state, authorized);
    expect(ended.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(ended.state).toMatchObject({ status: "CANCELLED", reason: "CANCELLED_BY_SHOPPER" });
  });

  it("cancels a confirmed order before pick-up: delivery first, then the hold voided and stock released", () => {
    const confirmed = run(reserved, authorized, riderAssigned).state;
    const asked = transition(confirmed, { type: "CancelRequested" });
    expect(asked.commands).toEqual(["CancelDelivery"]);
    expect(asked.state.status).toBe("CONFIRMED");
    const result = transition(asked.state, { type: "DeliveryCancelled" });
    expect(result.commands).toEqual(["VoidPayment", "ReleaseStock"]);
    expect(result.state.status).toBe("CANCELLED");
  });

  it("keeps the order going when delivery refuses the cancel because the rider already has it", () => {
    const confirmed = run(reserved, authorized, riderAssigned).state;
    const asked = transition(confirmed, { type: "CancelRequested" });
    // The pick-up reached delivery before the cancel did; the order hears of both afterwards.
    const pickedUp = transition(asked.state, { type: "PickedUp" });
    expect(pickedUp.commands).toEqual(["CommitStock"]);
    const refused = transition(pickedUp.state, { type: "DeliveryCancelRefused", detail: "PICKED_UP" });
    expect(refused.commands).toEqual([]);
    expect(refused.state).toMatchObject({ status: "CONFIRMED", cancelRequested: false, pickedUp: true });
    expect(refused.state.outstanding).toEqual(["COMMIT_STOCK"]);
    expect(refused.facts).toEqual([{ kind: "step", step: "CANCEL_REFUSED", detail: "PICKED_UP" }]);
  });

  it("refuses a cancel after pick-up", () => {
    const pickedUp = transition(run(reserved, authorized, riderAssigned).state, { type: "PickedUp" }).state;
    const result = transition(pickedUp, { type: "CancelRequested" });
    expect(result.state).toBe(pickedUp);
    expect(result.commands).toEqual([]);
  });
});
