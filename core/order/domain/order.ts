import type {
  Address,
  DeliveryStatus,
  EventActor,
  Money,
  OrderStatus,
  OrderView,
  PackedLine,
  PricedLine,
  RejectReason,
} from "@qc/contracts";
import { lineView, packedAmounts } from "./packing";
import type { SagaFact } from "./saga";

/** What an order was placed with: the priced cart, the totals and where it goes. */
export interface PlacedOrder {
  userId: string;
  storeId: string;
  lines: PricedLine[];
  subtotal: Money;
  deliveryFee: Money;
  discount: Money;
  total: Money;
  address: Address;
  couponCode: string | null;
  /** Picked first in the store; absent on orders placed before express existed. */
  express?: boolean;
  /** Substitutes are accepted for missing items; absent on orders placed before substitutions existed. */
  allowSubstitutions?: boolean;
}

/** The order aggregate's events, as stored in order_events (the source of truth). */
export type OrderEvent =
  | { type: "OrderPlaced"; data: PlacedOrder }
  | { type: "StepRecorded"; data: { step: string; detail: string | null } }
  | { type: "CancelRequested"; data: Record<string, never> }
  | { type: "OrderConfirmed"; data: { deliveryId: string; etaMinutes: number } }
  | { type: "OrderRejected"; data: { reason: RejectReason; detail: string | null } }
  | { type: "OrderCancelled"; data: { reason: RejectReason } }
  | { type: "DeliveryProgressed"; data: { status: DeliveryStatus } }
  /** `lines`: what the store put in the bag; absent on events recorded before it was kept (packed as ordered). */
  | { type: "OrderPacked"; data: { taskId: string; lines?: PackedLine[] } };

export type RecordedEvent = OrderEvent & { version: number; occurredAt: Date };

export type ActorKind = EventActor["kind"];

/** Why an event was recorded and who caused it, kept beside each event for the audit trail. */
export interface EventCause {
  correlationId: string | null;
  /** The id of the message that caused it; null for a request or a timer. */
  causationId: string | null;
  actor: EventActor;
}

/** The current state of one order, folded from its events. */
export interface OrderState extends PlacedOrder {
  orderId: string;
  status: OrderStatus;
  reason: RejectReason | null;
  etaMinutes: number | null;
  deliveryId: string | null;
  /** What the store packed; once set, subtotal, discount and total are what the order charges for it. */
  packed?: PackedLine[];
  history: { step: string; at: Date; detail: string | null }[];
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** An OrderState as stored in the aggregate's snapshot row (JSON: instants as ISO strings). */
export type OrderSnapshot = Omit<OrderState, "history" | "createdAt" | "updatedAt"> & {
  history: { step: string; at: string; detail: string | null }[];
  createdAt: string;
  updatedAt: string;
};

/** The snapshot of an order's state. */
export function toSnapshot(state: OrderState): OrderSnapshot {
  return {
    ...state,
    history: state.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    createdAt: state.createdAt.toISOString(),
    updatedAt: state.updatedAt.toISOString(),
  };
}

/** The order's state from its snapshot. */
export function fromSnapshot(snapshot: OrderSnapshot): OrderState {
  return {
    ...snapshot,
    history: snapshot.history.map((entry) => ({ ...entry, at: new Date(entry.at) })),
    createdAt: new Date(snapshot.createdAt),
    updatedAt: new Date(snapshot.updatedAt),
  };
}

/** The order event a saga fact is recorded as. */
export function eventOf(fact: SagaFact): OrderEvent {
  switch (fact.kind) {
    case "step":
      return { type: "StepRecorded", data: { step: fact.step, detail: fact.detail } };
    case "confirmed":
      return { type: "OrderConfirmed", data: { deliveryId: fact.deliveryId, etaMinutes: fact.etaMinutes } };
    case "rejected":
      return { type: "OrderRejected", data: { reason: fact.reason, detail: fact.detail } };
    case "cancelled":
      return { type: "OrderCancelled", data: { reason: fact.reason } };
    case "cancel_requested":
      return { type: "CancelRequested", data: {} };
  }
}

const deliveryRank: Partial<Record<OrderStatus, number>> = {
  CONFIRMED: 0,
  PACKED: 1,
  PICKED_UP: 2,
  OUT_FOR_DELIVERY: 3,
  DELIVERED: 4,
};

/**
 * The store's packing or a rider's update moves a confirmed order forward only; stale, repeated or post-cancel
 * updates do not (a rider may pick up an order whose packing was not reported: PACKED is skipped then).
 */
export function movesForward(current: OrderStatus, next: OrderStatus): boolean {
  const from = deliveryRank[current];
  const to = deliveryRank[next];
  return from !== undefined && to !== undefined && to > from;
}

function historyEntry(event: OrderEvent): { step: string; detail: string | null } {
  switch (event.type) {
    case "OrderPlaced":
      return { step: "PLACED", detail: null };
    case "StepRecorded":
      return event.data;
    case "CancelRequested":
      return { step: "CANCEL_REQUESTED", detail: null };
    case "OrderConfirmed":
      return { step: "CONFIRMED", detail: null };
    case "OrderRejected":
      return { step: "REJECTED", detail: event.data.detail ?? event.data.reason };
    case "OrderCancelled":
      return { step: "CANCELLED", detail: event.data.reason };
    case "DeliveryProgressed":
      return { step: event.data.status, detail: null };
    case "OrderPacked":
      return { step: "PACKED", detail: null };
  }
}

/** Applies one event to the order's state (the first must be OrderPlaced). */
export function evolve(orderId: string, state: OrderState | null, event: RecordedEvent): OrderState {
  const at = event.occurredAt;
  const entry = { ...historyEntry(event), at };
  if (event.type === "OrderPlaced") {
    return {
      ...event.data,
      orderId,
      status: "PENDING",
      reason: null,
      etaMinutes: null,
      deliveryId: null,
      history: [entry],
      createdAt: at,
      updatedAt: at,
      version: event.version,
    };
  }
  if (!state) throw new Error(`order ${orderId}: ${event.type} before OrderPlaced`);
  const next: OrderState = {
    ...state,
    history: [...state.history, entry],
    updatedAt: at,
    version: event.version,
  };
  switch (event.type) {
    case "OrderConfirmed":
      return { ...next, status: "CONFIRMED", ...event.data };
    case "OrderRejected":
      return { ...next, status: "REJECTED", reason: event.data.reason };
    case "OrderCancelled":
      return { ...next, status: "CANCELLED", reason: event.data.reason };
    case "DeliveryProgressed":
      return { ...next, status: event.data.status };
    case "OrderPacked": {
      const { lines } = event.data;
      return lines
        ? { ...next, status: "PACKED", packed: lines, ...packedAmounts(next, lines) }
        : { ...next, status: "PACKED" };
    }
    default:
      return next;
  }
}

/** Folds an order's whole stream, oldest first. */
export function replay(orderId: string, events: readonly RecordedEvent[]): OrderState {
  const state = events.reduce<OrderState | null>((current, event) => evolve(orderId, current, event), null);
  if (!state) throw new Error(`order ${orderId} has no events`);
  return state;
}

/** The shopper-facing view of an order. */
export function toView(state: OrderState): OrderView {
  const currency = state.total.currency;
  return {
    orderId: state.orderId,
    userId: state.userId,
    storeId: state.storeId,
    status: state.status,
    reason: state.reason,
    lines: state.lines.map((line) => lineView(line, currency, state.packed)),
    subtotal: state.subtotal,
    deliveryFee: state.deliveryFee,
    discount: state.discount,
    total: state.total,
    address: state.address,
    etaMinutes: state.etaMinutes,
    history: state.history.map((entry) => ({ ...entry, at: entry.at.toISOString() })),
    createdAt: state.createdAt.toISOString(),
    updatedAt: state.updatedAt.toISOString(),
  };
}
