import type { Config } from "../../shared/config";
import type { SagaState, SagaStep } from "../domain/saga";

/**
 * How long each step may wait for its reply, how long stock is held for an uncommitted reservation, and how
 * many events apart the order's snapshots are kept.
 */
export interface SagaSettings {
  deadlines: Record<SagaStep, number>;
  reservationTtlMs: number;
  snapshotEvery: number;
}

/** The saga's settings from config (ORDER_DEADLINE_*_MS, ORDER_RESERVATION_TTL_MS, ORDER_SNAPSHOT_EVERY). */
export const sagaSettings = (config: Config): SagaSettings => ({
  deadlines: {
    RESERVE_STOCK: config.ORDER_DEADLINE_RESERVE_MS,
    AUTHORIZE_PAYMENT: config.ORDER_DEADLINE_AUTHORIZE_MS,
    ASSIGN_RIDER: config.ORDER_DEADLINE_DELIVERY_MS,
    COMMIT_STOCK: config.ORDER_DEADLINE_COMMIT_MS,
    CAPTURE_PAYMENT: config.ORDER_DEADLINE_CAPTURE_MS,
    // Delivery answers a cancel from its own table, like a commit: the same short deadline, then a resend.
    CANCEL_DELIVERY: config.ORDER_DEADLINE_COMMIT_MS,
  },
  reservationTtlMs: config.ORDER_RESERVATION_TTL_MS,
  snapshotEvery: config.ORDER_SNAPSHOT_EVERY,
});

/**
 * When the saga gives up waiting: at the earliest deadline of the steps it waits on (one late branch fails
 * the checkout, whatever its sibling does); null when it waits on nothing.
 */
export const deadlineOf = (settings: SagaSettings, saga: SagaState): Date | null =>
  saga.outstanding.length === 0
    ? null
    : new Date(Date.now() + Math.min(...saga.outstanding.map((step) => settings.deadlines[step])));

/** The step the saga's deadline was set by: the outstanding one with the shortest deadline. */
export const firstDue = (settings: SagaSettings, saga: SagaState): SagaStep | undefined =>
  [...saga.outstanding].sort((a, b) => settings.deadlines[a] - settings.deadlines[b])[0];
