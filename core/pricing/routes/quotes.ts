import { Quote, QuoteRequest, QuoteVerdict, VerifyQuoteBody } from "@qc/contracts";
import { Elysia } from "elysia";
import { verifyQuoteToken } from "../../shared/auth/quote-token";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import type { Quoting } from "../use-cases/build-quote";

/** Signed cart quotes for cart (display) and order (checkout charges the quoted total). */
export const quoteRoutes = (ctx: ServiceContext<Database>, quote: Quoting) =>
  new Elysia()
    /** Prices a cart and signs the result with an expiry. */
    .post("/internal/v1/quotes", ({ body }) => quote(body), { body: QuoteRequest, response: Quote })
    /** Whether a quote token is pricing's and still in time; the quote rides inside the token. */
    .post(
      "/internal/v1/quotes/verify",
      ({ body }) => verifyQuoteToken(body.token, ctx.config.PRICING_QUOTE_SECRET, new Date()),
      { body: VerifyQuoteBody, response: QuoteVerdict },
    );
