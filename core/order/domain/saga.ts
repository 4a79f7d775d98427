import type { RejectReason } from "@qc/contracts";

/** The checkout saga's forward steps, in order; each waits for its participant's reply. */
export const SAGA_STEPS = [
  "RESERVE_STOCK",
  "AUTHORIZE_PAYMENT",
  "COMMIT_STOCK",
  "CREATE_DELIVERY",
  "CAPTURE_PAYMENT",
] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

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
  | "CapturePayment"
  | "RefundPayment";

interface StepDefinition {
  action: SagaCommand;
  /** Undoes the step once it has happened (or may have happened); null when an earlier compensation covers it. */
  compensation: SagaCommand | null;
  /** A step whose action is idempotent at the participant and safe to resend when its reply is late. */
  retryOnDeadline: boolean;
  /** Why the order is rejected when this step's participant answers with a failure. */
  failure: RejectReason;
  /** Why the order is rejected when this step's deadline passes for good (no answer is not a refusal). */
  timeout: RejectReason;
  /** Compensate this step too when its outcome is unknown (deadline, provider timeout). */
  compensateWhenUnknown: boolean;
}

// Each step written next to its compensation (Medusa style).
export const STEP_DEFINITIONS: Record<SagaStep, StepDefinition> = {
  RESERVE_STOCK: {
    action: "ReserveStock",
    compensation: "ReleaseStock",
    retryOnDeadline: false,
    failure: "OUT_OF_STOCK",
    timeout: "INTERNAL_ERROR",
    compensateWhenUnknown: true,
  },
  AUTHORIZE_PAYMENT: {
    action: "AuthorizePayment",
    compensation: "VoidPayment",
    retryOnDeadline: false,
    failure: "PAYMENT_DECLINED",
    timeout: "PAYMENT_TIMEOUT",
    compensateWhenUnknown: true,
  },
  // ReleaseStock (the reservation's compensation) also returns committed stock to the shelf.
  COMMIT_STOCK: {
    action: "CommitStock",
    compensation: null,
    retryOnDeadline: true,
    failure: "INTERNAL_ERROR",
    timeout: "INTERNAL_ERROR",
    compensateWhenUnknown: false,
  },
  CREATE_DELIVERY: {
    action: "CreateDelivery",
    compensation: "CancelDelivery",
    retryOnDeadline: false,
    failure: "DELIVERY_FAILED",
    timeout: "NO_RIDER",
    compensateWhenUnknown: true,
  },
  // A captured payment can no longer be voided: its compensation is a refund. A capture of unknown outcome
  // is voided instead; should its PaymentCaptured still arrive, the late reply is refunded.
  CAPTURE_PAYMENT: {
    action: "CapturePayment",
    compensation: "RefundPayment",
    retryOnDeadline: true,
    failure: "INTERNAL_ERROR",
    timeout: "INTERNAL_ERROR",
    compensateWhenUnknown: false,
  },
};

/** The persisted saga instance, minus what only the messages need (lines, address, amount, token). */
export interface SagaState {
  step: SagaStep;
  status: SagaStatus;
  /** Attempts of the current step (1 on first send). */
  attempt: number;
  completed: SagaStep[];
  cancelRequested: boolean;
  reason: RejectReason | null;
  deliveryId: string | null;
  etaMinutes: number | null;
  /** Rider progress after CONFIRMED; a cancel is refused once the rider has the goods. */
  pickedUp: boolean;
}

/** A participant's reply, a passed deadline, or the shopper's cancel. */
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
  | { type: "PaymentCaptured" }
  | { type: "PaymentCaptureFailed"; detail: string }
  | { type: "DeadlinePassed"; step: SagaStep; attempt: number }
  | { type: "CancelRequested" }
  | { type: "PickedUp" };

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

const maxAttemptsOnDeadline = 3;

/** A fresh saga: the first step's command is sent with it. */
export function startSaga(): Transition {
  return {
    state: {
      step: "RESERVE_STOCK",
      status: "RUNNING",
      attempt: 1,
      completed: [],
      cancelRequested: false,
      reason: null,
      deliveryId: null,
      etaMinutes: null,
      pickedUp: false,
    },
    commands: ["ReserveStock"],
    facts: [],
  };
}

const successOf: Partial<Record<SagaInput["type"], SagaStep>> = {
  StockReserved: "RESERVE_STOCK",
  PaymentAuthorized: "AUTHORIZE_PAYMENT",
  StockCommitted: "COMMIT_STOCK",
  DeliveryCreated: "CREATE_DELIVERY",
  PaymentCaptured: "CAPTURE_PAYMENT",
};

const failureOf: Partial<Record<SagaInput["type"], SagaStep>> = {
  StockReservationFailed: "RESERVE_STOCK",
  PaymentDeclined: "AUTHORIZE_PAYMENT",
  PaymentTimedOut: "AUTHORIZE_PAYMENT",
  StockCommitFailed: "COMMIT_STOCK",
  DeliveryFailed: "CREATE_DELIVERY",
  PaymentCaptureFailed: "CAPTURE_PAYMENT",
};

/** The compensations of every completed step, newest first; a refund supersedes the void of one payment. */
function compensationsFor(completed: readonly SagaStep[]): SagaCommand[] {
  const commands: SagaCommand[] = [];
  for (const step of [...completed].reverse()) {
    const compensation = STEP_DEFINITIONS[step].compensation;
    if (!compensation) continue;
    if (step === "AUTHORIZE_PAYMENT" && completed.includes("CAPTURE_PAYMENT")) continue;
    commands.push(compensation);
  }
  return commands;
}

/**
 * Ends a running saga: compensates what was done (and, when the outcome of the current step is unknown,
 * the current step too) and records the terminal status. A shopper's cancel request wins the status.
 */
function compensate(
  state: SagaState,
  reason: RejectReason,
  detail: string | null,
  currentMayHaveHappened: boolean,
): Transition {
  const undoCurrent = currentMayHaveHappened && STEP_DEFINITIONS[state.step].compensateWhenUnknown;
  const undo = undoCurrent ? [...state.completed, state.step] : state.completed;
  const commands = compensationsFor(undo);
  const status: SagaStatus = state.cancelRequested ? "CANCELLED" : "REJECTED";
  const finalReason: RejectReason = state.cancelRequested ? "CANCELLED_BY_SHOPPER" : reason;
  const facts: SagaFact[] = [];
  if (commands.length > 0) facts.push({ kind: "step", step: "COMPENSATING", detail: commands.join(", ") });
  facts.push(
    status === "CANCELLED"
      ? { kind: "cancelled", reason: finalReason }
      : { kind: "rejected", reason: finalReason, detail },
  );
  return { state: { ...state, status, reason: finalReason }, commands, facts };
}

function advance(state: SagaState, input: SagaInput): Transition {
  const completed = [...state.completed, state.step];
  const withDelivery =
    input.type === "DeliveryCreated"
      ? { deliveryId: input.deliveryId, etaMinutes: input.etaMinutes }
      : { deliveryId: state.deliveryId, etaMinutes: state.etaMinutes };
  const done: SagaState = { ...state, ...withDelivery, completed };
  const fact: SagaFact = { kind: "step", step: `${state.step}_DONE`, detail: null };
  if (state.cancelRequested) {
    const ended = compensate(done, "CANCELLED_BY_SHOPPER", "cancelled by the shopper", false);
    return { ...ended, facts: [fact, ...ended.facts] };
  }
  const next = SAGA_STEPS[SAGA_STEPS.indexOf(state.step) + 1];
  if (!next) {
    return {
      state: { ...done, status: "CONFIRMED" },
      commands: [],
      facts: [
        fact,
        { kind: "confirmed", deliveryId: done.deliveryId ?? "", etaMinutes: done.etaMinutes ?? 0 },
      ],
    };
  }
  return {
    state: { ...done, step: next, attempt: 1 },
    commands: [STEP_DEFINITIONS[next].action],
    facts: [fact],
  };
}

const unchanged = (state: SagaState): Transition => ({ state, commands: [], facts: [] });

function failureReason(input: SagaInput, step: SagaStep): RejectReason {
  if (input.type === "PaymentTimedOut") return "PAYMENT_TIMEOUT";
  if (input.type === "DeliveryFailed") return input.reason;
  return STEP_DEFINITIONS[step].failure;
}

function failureDetail(input: SagaInput): string | null {
  return "detail" in input ? input.detail : null;
}

/** A reply for a step the saga is not waiting on: compensate a late success, ignore everything else. */
function lateReply(state: SagaState, input: SagaInput): Transition {
  const step = successOf[input.type];
  if (!step || state.completed.includes(step)) return unchanged(state);
  const compensation = STEP_DEFINITIONS[step].compensation;
  // A late capture of a saga that gave up must be refunded, never kept.
  if (!compensation) return unchanged(state);
  return {
    state,
    commands: [compensation],
    facts: [{ kind: "step", step: "LATE_REPLY_COMPENSATED", detail: `${input.type} → ${compensation}` }],
  };
}

/** Whether the owner may cancel now, and why not. */
export function cancellability(state: SagaState): "accepted" | "terminal" | "picked_up" {
  if (state.status === "REJECTED" || state.status === "CANCELLED") return "terminal";
  if (state.pickedUp) return "picked_up";
  return "accepted";
}

/**
 * The saga as a pure state machine: (state, input) → (new state, commands to send, facts to record).
 * Every reply is matched against the step the saga waits on; anything else is ignored or compensated.
 */
export function transition(state: SagaState, input: SagaInput): Transition {
  if (input.type === "CancelRequested") return requestCancel(state);
  if (input.type === "PickedUp") return { state: { ...state, pickedUp: true }, commands: [], facts: [] };

  if (input.type === "DeadlinePassed") {
    if (state.status !== "RUNNING" || input.step !== state.step || input.attempt !== state.attempt) {
      return unchanged(state);
    }
    const definition = STEP_DEFINITIONS[state.step];
    if (definition.retryOnDeadline && state.attempt < maxAttemptsOnDeadline) {
      return {
        state: { ...state, attempt: state.attempt + 1 },
        commands: [definition.action],
        facts: [{ kind: "step", step: `${state.step}_RETRIED`, detail: `attempt ${state.attempt + 1}` }],
      };
    }
    const ended = compensate(state, definition.timeout, `${state.step} deadline passed`, true);
    return {
      ...ended,
      facts: [{ kind: "step", step: `${state.step}_TIMED_OUT`, detail: null }, ...ended.facts],
    };
  }

  if (state.status !== "RUNNING") return lateReply(state, input);
  if (successOf[input.type] === state.step) return advance(state, input);
  if (failureOf[input.type] === state.step) {
    // A timed-out authorization may still complete at the provider: void it as well.
    const unknownOutcome = input.type === "PaymentTimedOut";
    return compensate(state, failureReason(input, state.step), failureDetail(input), unknownOutcome);
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
  if (state.status !== "CONFIRMED" || state.pickedUp) return unchanged(state);
  // Confirmed but still in the store: cancel the delivery, refund, and put the goods back on the shelf.
  const commands = compensationsFor(state.completed);
  return {
    state: { ...state, status: "CANCELLED", reason: "CANCELLED_BY_SHOPPER", cancelRequested: true },
    commands,
    facts: [
      { kind: "step", step: "COMPENSATING", detail: commands.join(", ") },
      { kind: "cancelled", reason: "CANCELLED_BY_SHOPPER" },
    ],
  };
}
