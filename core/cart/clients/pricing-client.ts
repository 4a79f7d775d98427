import { Quote, type QuoteRequest } from "@qc/contracts";
import { Pricing } from "@qc/contracts/grpc/services";
import { type GrpcCaller, grpcClient } from "../../shared/grpc/client";

/** Pricing's quotes over gRPC behind a 1 s deadline, retries (a quote changes nothing) and a breaker. */
export function pricingClient(cart: GrpcCaller) {
  const pricing = grpcClient(
    cart,
    { callee: "pricing", service: Pricing },
    { deadlineMs: 1_000, retries: 2 },
  );
  return {
    quote: (request: QuoteRequest): Promise<Quote> => pricing.call("quoteCart", request, Quote),
  };
}

export type PricingClient = ReturnType<typeof pricingClient>;
