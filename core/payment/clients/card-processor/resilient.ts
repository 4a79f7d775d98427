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
  const { execute } = policyFor("payment-provider", {
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    concurrency: 20,
  });
  return {
    authorize: (request) => execute((signal) => provider.authorize(request, signal)),
    capture: (request) => execute((signal) => provider.capture(request, signal)),
    void: (request) => execute((signal) => provider.void(request, signal)),
    refund: (request) => execute((signal) => provider.refund(request, signal)),
  };
}
