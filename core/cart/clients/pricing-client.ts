import { Quote, type QuoteRequest } from "@qc/contracts";
import { Pricing } from "@qc/contracts/grpc/services";
import type { Config } from "../../shared/config";
import { grpcClient } from "../../shared/grpc/client";

/** Pricing's quotes over gRPC behind a 1 s deadline, retries (a quote changes nothing) and a breaker. */
export function pricingClient(config: Config) {
  const route = { caller: "cart", callee: "pricing", service: Pricing } as const;
  const pricing = grpcClient(config, route, { deadlineMs: 1_000, retries: 2 });
  return {
    quote: (request: QuoteRequest): Promise<Quote> => pricing.call("quoteCart", request, Quote),
  };
}

export type PricingClient = ReturnType<typeof pricingClient>;
