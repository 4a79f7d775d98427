import { Quote, type QuoteRequest } from "@qc/contracts";
import type { Config } from "../../shared/config";
import { policyFor } from "../../shared/resilience";
import { serviceUrl } from "../../shared/runtime/context";
import { isTransient, postJson } from "./internal-http";

/** Pricing's quote endpoint behind a timeout, retries and a breaker. */
export function pricingClient(config: Config) {
  const policy = policyFor("pricing", { timeoutMs: 1_000, retries: 2, isTransient });
  const base = serviceUrl(config, "pricing");
  return {
    quote: (request: QuoteRequest): Promise<Quote> =>
      postJson(policy, `${base}/internal/v1/quotes`, request, Quote),
  };
}

export type PricingClient = ReturnType<typeof pricingClient>;
