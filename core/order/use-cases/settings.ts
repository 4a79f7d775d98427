import type { Config } from "../../shared/config";
import type { SagaStep } from "../domain/saga";

/** How long each step may wait for its reply, and how long stock is held for an uncommitted reservation. */
export interface SagaSettings {
  deadlines: Record<SagaStep, number>;
  reservationTtlMs: number;
}

/** The saga's settings from config (ORDER_DEADLINE_*_MS, ORDER_RESERVATION_TTL_MS). */
export const sagaSettings = (config: Config): SagaSettings => ({
  deadlines: {
    RESERVE_STOCK: config.ORDER_DEADLINE_RESERVE_MS,
    AUTHORIZE_PAYMENT: config.ORDER_DEADLINE_AUTHORIZE_MS,
    COMMIT_STOCK: config.ORDER_DEADLINE_COMMIT_MS,
    CREATE_DELIVERY: config.ORDER_DEADLINE_DELIVERY_MS,
    CAPTURE_PAYMENT: config.ORDER_DEADLINE_CAPTURE_MS,
  },
  reservationTtlMs: config.ORDER_RESERVATION_TTL_MS,
});

/** When the step the saga now waits on times out; null once it waits on nothing. */
export const deadlineOf = (settings: SagaSettings, status: string, step: SagaStep): Date | null =>
  status === "RUNNING" ? new Date(Date.now() + settings.deadlines[step]) : null;
