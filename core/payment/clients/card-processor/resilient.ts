import { policyFor } from "../../../shared/resilience";
import type { PaymentProvider } from "./provider";

/**
 * The provider behind a deadline per attempt, retries with the same idempotency key (so a retry never
 * charges twice), and a circuit breaker. A call that exhausts them rejects: its outcome is unknown.
 */
export function resilientProvider(
  provider: PaymentProvider,
  options: { timeoutMs: number; retries: number },
): PaymentProvider {
  // A trial call against a provider that is still slow costs a whole call budget and holds a command slot,
  // so the open breaker waits a few budgets before it tries again (12 s with the defaults).
  const callBudgetMs = options.timeoutMs * (options.retries + 1);
  const { execute } = policyFor("payment-provider", {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    halfOpenAfterMs: Math.max(5_000, callBudgetMs * 3),
    concurrency: 20,
  });
  return {
    authorize: (request) => execute((signal) => provider.authorize(request, signal)),
    capture: (request) => execute((signal) => provider.capture(request, signal)),
    void: (request) => execute((signal) => provider.void(request, signal)),
    refund: (request) => execute((signal) => provider.refund(request, signal)),
  };
}
