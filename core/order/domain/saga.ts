import type { RejectReason } from "@qc/contracts";

/** Every step the order saga sends to a participant and waits on. */
export const SAGA_STEPS = [
  "RESERVE_STOCK",
  "AUTHORIZE_PAYMENT",
  "ASSIGN_RIDER",
  "COMMIT_STOCK",
  "CAPTURE_PAYMENT",
  "CANCEL_DELIVERY",
] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

/** Steps that do not depend on each other are sent together and awaited together (Medusa's `parallelize`). */
const parallelize = (...steps: SagaStep[]): readonly SagaStep[] => steps;

/**
 * The checkout, phase by phase: CONFIRMED means stock held, payment authorized and a rider assigned.
 * Money moves only when the amount is final, so committing stock and capturing the payment are not part of
 * it: they follow the packing and the rider's progress (see `fulfil`).
 */
export const CHECKOUT_PHASES: readonly (readonly SagaStep[])[] = [
  parallelize("RESERVE_STOCK", "AUTHORIZE_PAYMENT"),
  ["ASSIGN_RIDER"],
];

export type SagaStatus = "RUNNING" | "CONFIRMED" | "REJECTED" | "CANCELLED";

/** What the saga asks participants to do; the application turns these into contract messages. */
export type SagaCommand =
  | "ReserveStock"
  | "ReleaseStock"
  | "AuthorizePayment"
  | "VoidPayment"
  | "CommitStock"
  | "CreateDelivery"
  | "CancelDelivery"
  | "CapturePayment";

interface StepDefinition {
  /** The service that performs it (its consumer group): when none of its instances runs, the step waits. */
  participant: "inventory" | "payment" | "delivery";
  action: SagaCommand;
  /** Undoes the step once it has happened (or may have happened); null when nothing can undo it. */
  compensation: SagaCommand | null;
  /** Safe to resend when its reply is late (idempotent at the participant and nothing to undo). */
  retryOnDeadline: boolean;
  /** Why the order is rejected when this step's participant answers with a failure. */
  failure: RejectReason;
  /** Why the order is rejected when this step's deadline passes for good (no answer is not a refusal). */
  timeout: RejectReason;
}

// Each step written next to its compensation (Medusa style). A compensation sent while its step is still
// outstanding is safe: both travel on the order's key, so the participant sees the action first.
export const STEP_DEFINITIONS: Record<SagaStep, StepDefinition> = {
  RESERVE_STOCK: {
    participant: "inventory",
    action: "ReserveStock",
    compensation: "ReleaseStock",
    retryOnDeadline: false,
    failure: "OUT_OF_STOCK",
    timeout: "INTERNAL_ERROR",
  },
  AUTHORIZE_PAYMENT: {
    participant: "payment",
    action: "AuthorizePayment",
    compensation: "VoidPayment",
    retryOnDeadline: false,
    failure: "PAYMENT_DECLINED",
    timeout: "PAYMENT_TIMEOUT",
  },
  ASSIGN_RIDER: {
    participant: "delivery",
    action: "CreateDelivery",
    compensation: "CancelDelivery",
    retryOnDeadline: false,
    failure: "DELIVERY_FAILED",
    timeout: "NO_RIDER",
  },
  // After CONFIRMED: the goods left with the rider and the order was delivered. Nothing to undo; a late
  // reply is resent until it comes (both are idempotent at the participant).
  COMMIT_STOCK: {
    participant: "inventory",
    action: "CommitStock",
    compensation: null,
    retryOnDeadline: true,
    failure: "INTERNAL_ERROR",
    timeout: "INTERNAL_ERROR",
  },
  CAPTURE_PAYMENT: {
    participant: "payment",
    action: "CapturePayment",
    compensation: null,
    retryOnDeadline: true,
    failure: "INTERNAL_ERROR",
    timeout: "INTERNAL_ERROR",
  },
  // A shopper's cancel after CONFIRMED asks delivery first: only it knows whether the rider already has the
  // goods (the order hears of a pick-up asynchronously). Its answer decides between undoing and going on.
  CANCEL_DELIVERY: {
    participant: "delivery",
    action: "CancelDelivery",
    compensation: null,
    retryOnDeadline: true,
    failure: "INTERNAL_ERROR",
    timeout: "INTERNAL_ERROR",
  },
};

/** The persisted saga instance, minus what only the messages need (lines, address, amount, token). */
export interface SagaState {
  status: SagaStatus;
  /** Index into CHECKOUT_PHASES while RUNNING. */
  phase: number;
  /** Steps sent and not yet answered (their deadline is the saga's deadline). */
  outstanding: SagaStep[];
  /** Resends of the outstanding steps after a deadline (0 on first send). */
  attempt: number;
  completed: SagaStep[];
  /** Steps whose compensation was sent, so a late reply does not send it again. */
  compensated: SagaStep[];
  cancelRequested: boolean;
  reason: RejectReason | null;
  deliveryId: string | null;
  etaMinutes: number | null;
  /** Rider progress after CONFIRMED; a cancel is refused once the rider has the goods. */
  pickedUp: boolean;
}

/** A participant's reply, a passed deadline, the rider's progress or the shopper's cancel. */
export type SagaInput =
  | { type: "StockReserved" }
  | { type: "StockReservationFailed"; detail: string }
  | { type: "PaymentAuthorized" }
  | { type: "PaymentDeclined"; detail: string }
  | { type: "PaymentTimedOut" }
  | { type: "StockCommitted" }
  | { type: "StockCommitFailed"; detail: string }
  | { type: "DeliveryCreated"; deliveryId: string; etaMinutes: number }
  | { type: "DeliveryFailed"; reason: RejectReason; detail: string }
  | { type: "DeliveryCancelled" }
  | { type: "DeliveryCancelRefused"; detail: string }
  | { type: "PaymentCaptured" }
  | { type: "PaymentCaptureFailed"; detail: string }
  /** `late`: the step whose deadline passed (the one with the shortest deadline); its timeout is the reason. */
  | { type: "DeadlinePassed"; attempt: number; late?: SagaStep }
  | { type: "CancelRequested" }
  /** The store packed the order: what is in the bag is committed (sold), the rest of the hold released. */
  | { type: "Packed" }
  | { type: "PickedUp" }
  | { type: "Delivered" };

/** A line of the order's step history (also appended to the order's event stream). */
export type SagaFact =
  | { kind: "step"; step: string; detail: string | null }
  | { kind: "confirmed"; deliveryId: string; etaMinutes: number }
  | { kind: "rejected"; reason: RejectReason; detail: string | null }
  | { kind: "cancelled"; reason: RejectReason }
  | { kind: "cancel_requested" };

export interface Transition {
  state: SagaState;
  commands: SagaCommand[];
  facts: SagaFact[];
}

const maxResends = 3;

const send = (steps: readonly SagaStep[]) => steps.map((step) => STEP_DEFINITIONS[step].action);

/** A fresh saga: the first phase's commands are sent with it. */
export function startSaga(): Transition {
  const first = CHECKOUT_PHASES[0] ?? [];
  return {
    state: {
      status: "RUNNING",
      phase: 0,
      outstanding: [...first],
      attempt: 0,
      completed: [],
      compensated: [],
      cancelRequested: false,
      reason: null,
      deliveryId: null,
      etaMinutes: null,
      pickedUp: false,
    },
    commands: send(first),
    facts: [],
  };
}

const successOf: Partial<Record<SagaInput["type"], SagaStep>> = {
  StockReserved: "RESERVE_STOCK",
  PaymentAuthorized: "AUTHORIZE_PAYMENT",
  DeliveryCreated: "ASSIGN_RIDER",
  StockCommitted: "COMMIT_STOCK",
  PaymentCaptured: "CAPTURE_PAYMENT",
  DeliveryCancelled: "CANCEL_DELIVERY",
};

const failureOf: Partial<Record<SagaInput["type"], SagaStep>> = {
  StockReservationFailed: "RESERVE_STOCK",
  PaymentDeclined: "AUTHORIZE_PAYMENT",
  PaymentTimedOut: "AUTHORIZE_PAYMENT",
  DeliveryFailed: "ASSIGN_RIDER",
  StockCommitFailed: "COMMIT_STOCK",
  PaymentCaptureFailed: "CAPTURE_PAYMENT",
  DeliveryCancelRefused: "CANCEL_DELIVERY",
};

const without = (steps: readonly SagaStep[], step: SagaStep) => steps.filter((one) => one !== step);

/** Compensations of the given steps, newest first, skipping the ones already sent or not undoable. */
function compensationsOf(state: SagaState, steps: readonly SagaStep[]) {
  const undone = [...steps]
    .reverse()
    .filter((step) => STEP_DEFINITIONS[step].compensation && !state.compensated.includes(step));
  return {
    commands: undone.map((step) => STEP_DEFINITIONS[step].compensation as SagaCommand),
    compensated: [...state.compensated, ...undone],
  };
}

/**
 * Ends a running saga: compensates every step that happened or may have happened (completed ones, and
 * outstanding ones whose reply has not come: their compensation follows them on the same key), and records
 * the terminal status. A shopper's cancel request wins the status.
 */
function compensate(
  state: SagaState,
  reason: RejectReason,
  detail: string | null,
  mayHaveHappened: readonly SagaStep[],
): Transition {
  const { commands, compensated } = compensationsOf(state, [...state.completed, ...mayHaveHappened]);
  const status: SagaStatus = state.cancelRequested ? "CANCELLED" : "REJECTED";
  const finalReason: RejectReason = state.cancelRequested ? "CANCELLED_BY_SHOPPER" : reason;
  const facts: SagaFact[] = [];
  if (commands.length > 0) facts.push({ kind: "step", step: "COMPENSATING", detail: commands.join(", ") });
  facts.push(
    status === "CANCELLED"
      ? { kind: "cancelled", reason: finalReason }
      : { kind: "rejected", reason: finalReason, detail },
  );
  return {
    state: { ...state, status, reason: finalReason, outstanding: [], compensated },
    commands,
    facts,
  };
}

/** A step of the checkout answered with success: wait for its siblings, then start the next phase. */
function advance(state: SagaState, step: SagaStep, input: SagaInput): Transition {
  const delivery =
    input.type === "DeliveryCreated" ? { deliveryId: input.deliveryId, etaMinutes: input.etaMinutes } : {};
  const done: SagaState = {
    ...state,
    ...delivery,
    completed: [...state.completed, step],
    outstanding: without(state.outstanding, step),
  };
  const fact: SagaFact = { kind: "step", step: `${step}_DONE`, detail: null };
  if (state.cancelRequested) {
    const ended = compensate(done, "CANCELLED_BY_SHOPPER", "cancelled by the shopper", done.outstanding);
    return { ...ended, facts: [fact, ...ended.facts] };
  }
  if (done.outstanding.length > 0) return { state: done, commands: [], facts: [fact] };
  const next = CHECKOUT_PHASES[state.phase + 1];
  if (!next) {
    return {
      state: { ...done, status: "CONFIRMED", attempt: 0 },
      commands: [],
      facts: [
        fact,
        { kind: "confirmed", deliveryId: done.deliveryId ?? "", etaMinutes: done.etaMinutes ?? 0 },
      ],
    };
  }
  return {
    state: { ...done, phase: state.phase + 1, outstanding: [...next], attempt: 0 },
    commands: send(next),
    facts: [fact],
  };
}

const unchanged = (state: SagaState): Transition => ({ state, commands: [], facts: [] });

function failureReason(input: SagaInput, step: SagaStep): RejectReason {
  if (input.type === "PaymentTimedOut") return "PAYMENT_TIMEOUT";
  if (input.type === "DeliveryFailed") return input.reason;
  return STEP_DEFINITIONS[step].failure;
}

const failureDetail = (input: SagaInput): string | null => ("detail" in input ? input.detail : null);

/** A reply for a step the saga is not waiting on: compensate a late success once, ignore anything else. */
function lateReply(state: SagaState, input: SagaInput): Transition {
  const step = successOf[input.type];
  if (!step || state.completed.includes(step) || state.status === "CONFIRMED") return unchanged(state);
  // The saga gave up on this step: whatever it did must be undone, and only once.
  const { commands, compensated } = compensationsOf(state, [step]);
  if (commands.length === 0) return unchanged(state);
  return {
    state: { ...state, compensated },
    commands,
    facts: [{ kind: "step", step: "LATE_REPLY_COMPENSATED", detail: `${input.type} → ${commands[0]}` }],
  };
}

/**
 * After CONFIRMED: the fulfilment steps and their replies. Stock is committed when the store packed the order
 * (its bag is final then) or, if packing was never reported, at pick-up; the payment is captured at delivery.
 */
function fulfil(state: SagaState, input: SagaInput): Transition {
  const follow = (step: SagaStep, changes: Partial<SagaState>): Transition =>
    state.completed.includes(step) || state.outstanding.includes(step)
      ? { state: { ...state, ...changes }, commands: [], facts: [] }
      : {
          state: { ...state, ...changes, outstanding: [...state.outstanding, step], attempt: 0 },
          commands: send([step]),
          facts: [],
        };
  if (input.type === "Packed") return follow("COMMIT_STOCK", {});
  if (input.type === "PickedUp") return follow("COMMIT_STOCK", { pickedUp: true });
  if (input.type === "Delivered") return follow("CAPTURE_PAYMENT", { pickedUp: true });
  const succeeded = successOf[input.type];
  if (succeeded === "CANCEL_DELIVERY" && state.outstanding.includes(succeeded)) return cancelConfirmed(state);
  if (input.type === "DeliveryCancelRefused" && state.outstanding.includes("CANCEL_DELIVERY")) {
    // The rider had the goods already: the order goes on, and the shopper's cancel is refused.
    return {
      state: { ...state, cancelRequested: false, outstanding: without(state.outstanding, "CANCEL_DELIVERY") },
      commands: [],
      facts: [{ kind: "step", step: "CANCEL_REFUSED", detail: input.detail }],
    };
  }
  if (succeeded && state.outstanding.includes(succeeded)) {
    return {
      state: {
        ...state,
        outstanding: without(state.outstanding, succeeded),
        completed: [...state.completed, succeeded],
      },
      commands: [],
      facts: [{ kind: "step", step: `${succeeded}_DONE`, detail: null }],
    };
  }
  const failed = failureOf[input.type];
  if (failed && state.outstanding.includes(failed)) {
    // The goods are with the shopper: nothing to compensate, an operator must look (the fact says why).
    return {
      state: { ...state, outstanding: without(state.outstanding, failed) },
      commands: [],
      facts: [{ kind: "step", step: `${failed}_FAILED`, detail: failureDetail(input) }],
    };
  }
  return unchanged(state);
}

/** Whether the owner may cancel now, and why not. */
export function cancellability(state: SagaState): "accepted" | "terminal" | "picked_up" {
  if (state.status === "REJECTED" || state.status === "CANCELLED") return "terminal";
  if (state.pickedUp) return "picked_up";
  return "accepted";
}

function deadlinePassed(state: SagaState, attempt: number, lateStep?: SagaStep): Transition {
  if (state.outstanding.length === 0 || attempt !== state.attempt) return unchanged(state);
  const late = state.outstanding;
  if (late.every((step) => STEP_DEFINITIONS[step].retryOnDeadline)) {
    if (state.attempt < maxResends) {
      return {
        state: { ...state, attempt: state.attempt + 1 },
        commands: send(late),
        facts: [{ kind: "step", step: `${late.join("+")}_RETRIED`, detail: `attempt ${state.attempt + 2}` }],
      };
    }
    return {
      state: { ...state, outstanding: [] },
      commands: [],
      facts: [{ kind: "step", step: `${late.join("+")}_TIMED_OUT`, detail: "needs an operator" }],
    };
  }
  const blamed = lateStep && late.includes(lateStep) ? lateStep : late[0];
  const reason = blamed ? STEP_DEFINITIONS[blamed].timeout : "INTERNAL_ERROR";
  const ended = compensate(state, reason, `${late.join(", ")} deadline passed`, late);
  return {
    ...ended,
    facts: [{ kind: "step", step: `${late.join("+")}_TIMED_OUT`, detail: null }, ...ended.facts],
  };
}

/**
 * The saga as a pure state machine: (state, input) → (new state, commands to send, facts to record).
 * Every reply is matched against the steps the saga waits on; anything else is ignored or compensated.
 */
export function transition(state: SagaState, input: SagaInput): Transition {
  if (input.type === "CancelRequested") return requestCancel(state);
  if (input.type === "DeadlinePassed") return deadlinePassed(state, input.attempt, input.late);
  if (state.status === "CONFIRMED") return fulfil(state, input);
  if (state.status !== "RUNNING") return lateReply(state, input);

  const succeeded = successOf[input.type];
  if (succeeded && state.outstanding.includes(succeeded)) return advance(state, succeeded, input);
  const failed = failureOf[input.type];
  if (failed && state.outstanding.includes(failed)) {
    // A timed-out authorization may still complete at the provider: void it as well.
    const unknown = input.type === "PaymentTimedOut" ? [failed] : [];
    const pending = without(state.outstanding, failed);
    return compensate(state, failureReason(input, failed), failureDetail(input), [...unknown, ...pending]);
  }
  return lateReply(state, input);
}

function requestCancel(state: SagaState): Transition {
  if (state.status === "RUNNING") {
    if (state.cancelRequested) return unchanged(state);
    return {
      state: { ...state, cancelRequested: true },
      commands: [],
      facts: [{ kind: "cancel_requested" }],
    };
  }
  if (state.status !== "CONFIRMED" || state.pickedUp || state.cancelRequested) return unchanged(state);
  // Confirmed and, as far as the order knows, still in the store: delivery decides (see CANCEL_DELIVERY).
  return {
    state: {
      ...state,
      cancelRequested: true,
      outstanding: [...state.outstanding, "CANCEL_DELIVERY"],
      attempt: 0,
      compensated: [...state.compensated, "ASSIGN_RIDER"],
    },
    commands: ["CancelDelivery"],
    facts: [{ kind: "cancel_requested" }],
  };
}

/** Delivery cancelled it before the rider had the goods: void the hold, put the goods back on the shelf. */
function cancelConfirmed(state: SagaState): Transition {
  const { commands, compensated } = compensationsOf(state, state.completed);
  return {
    state: {
      ...state,
      status: "CANCELLED",
      reason: "CANCELLED_BY_SHOPPER",
      outstanding: [],
      compensated,
    },
    commands,
    facts: [
      { kind: "step", step: "CANCEL_DELIVERY_DONE", detail: null },
      ...(commands.length > 0
        ? [{ kind: "step" as const, step: "COMPENSATING", detail: commands.join(", ") }]
        : []),
      { kind: "cancelled", reason: "CANCELLED_BY_SHOPPER" },
    ],
  };
}
