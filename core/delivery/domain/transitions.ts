import type { DeliveryStatus } from "@qc/contracts";

export type DeliveryState =
  | "PENDING_RIDER"
  | "ASSIGNED"
  | "PICKED_UP"
  | "OUT_FOR_DELIVERY"
  | "DELIVERED"
  | "FAILED"
  | "CANCELLED";

/** The states in which a rider is carrying (or about to carry) the order. */
export const RIDING: readonly DeliveryState[] = ["ASSIGNED", "PICKED_UP", "OUT_FOR_DELIVERY"];
/** The rider has the goods: a cancel can no longer take them back. */
export const HANDED_OVER: readonly DeliveryState[] = ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"];

const next: Partial<Record<DeliveryState, DeliveryStatus>> = {
  ASSIGNED: "PICKED_UP",
  PICKED_UP: "OUT_FOR_DELIVERY",
  OUT_FOR_DELIVERY: "DELIVERED",
};

/** Whether a rider may report `to` for a delivery in state `from`: only one step forward at a time. */
export const canMove = (from: DeliveryState, to: DeliveryStatus): boolean => next[from] === to;
