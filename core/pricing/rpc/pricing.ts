import { Quote, QuoteRequest } from "@qc/contracts";
import { Pricing } from "@qc/contracts/grpc/services";
import { type GrpcService, unary } from "../../shared/grpc/server";
import type { Quoting } from "../use-cases/build-quote";

/** Pricing over gRPC: signed cart quotes for cart (display) and order (checkout charges the quoted total). */
export const pricingRpc = (quote: Quoting): GrpcService => ({
  service: Pricing,
  unary: { quoteCart: unary({ input: QuoteRequest, output: Quote, handle: quote }) },
});
