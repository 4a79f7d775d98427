import { metrics } from "../../shared/telemetry/metrics";
import type { OrderState } from "../domain/order";
import type { SagaFact } from "../domain/saga";

/**
 * Counts a saga that reached a terminal state: confirmed (with checkout → confirmed latency), rejected by
 * reason, or compensated when undoing done steps was part of the ending (a rejection or a cancel).
 */
export function recordSagaOutcome(facts: readonly SagaFact[], order: OrderState | null): void {
  const compensating = facts.some((fact) => fact.kind === "step" && fact.step === "COMPENSATING");
  for (const fact of facts) {
    if (fact.kind === "confirmed") {
      metrics.sagaOutcome("confirmed");
      if (order) metrics.checkoutConfirmed((Date.now() - order.createdAt.getTime()) / 1000);
    } else if (fact.kind === "rejected" || fact.kind === "cancelled") {
      metrics.sagaOutcome(compensating ? "compensated" : "rejected", fact.reason);
    }
  }
}
