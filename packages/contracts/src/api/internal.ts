import { z } from "zod";
import { Id, IsoDateTime, Line, Sku, text } from "../common";
import { AmountMinor, Currency } from "../money";

// Service-to-service contracts inside core (`/internal/v1/...`); the edge never exposes these.

/** → pricing: gRPC Pricing/QuoteCart (and POST /internal/v1/quotes, its HTTP baseline) */
export const QuoteRequest = z.object({
  userId: Id,
  storeId: Id,
  lines: z.array(Line).min(1).max(100),
  couponCode: text().trim().min(1).max(64).optional(),
});
export type QuoteRequest = z.infer<typeof QuoteRequest>;

export const QuotedLine = z.object({
  sku: Sku,
  quantity: z.int().min(1),
  unitPriceMinor: AmountMinor,
  discountMinor: AmountMinor,
  lineTotalMinor: AmountMinor,
});
export type QuotedLine = z.infer<typeof QuotedLine>;

/** A priced cart; `token` is pricing's signature over it, valid until `expiresAt`. */
export const Quote = z.object({
  quoteId: Id,
  userId: Id,
  storeId: Id,
  currency: Currency,
  lines: z.array(QuotedLine),
  subtotalMinor: AmountMinor,
  discountMinor: AmountMinor,
  deliveryFeeMinor: AmountMinor,
  smallCartFeeMinor: AmountMinor,
  surgeFeeMinor: AmountMinor,
  totalMinor: AmountMinor,
  couponCode: z.string().nullable(),
  expiresAt: IsoDateTime,
  token: z.string().min(1),
});
export type Quote = z.infer<typeof Quote>;

/**
 * cart → order: gRPC Cart/GetCartLines. `version`: the cart's version these lines are (OrderPlaced hands it
 * back, so the cart gives up only these lines). `quote`: the one pricing signed for exactly these lines when
 * the shopper last changed them (absent once a line changed without a quote, or for a cart reloaded from
 * Postgres).
 */
export const CartLines = z.object({
  userId: Id,
  storeId: Id,
  lines: z.array(Line),
  version: z.int().nonnegative().optional(),
  quote: Quote.optional(),
});
export type CartLines = z.infer<typeof CartLines>;

/** → pricing: POST /internal/v1/coupons/:code/redemptions — 201 redeemed, 409 `coupon_exhausted`. */
export const CouponRedemptionRequest = z.object({ orderId: Id, userId: Id });
export type CouponRedemptionRequest = z.infer<typeof CouponRedemptionRequest>;

/** → inventory: gRPC Inventory/GetAvailability */
export const AvailabilityRequest = z.object({ storeId: Id, skus: z.array(Sku).min(1).max(200) });
export type AvailabilityRequest = z.infer<typeof AvailabilityRequest>;
export const Availability = z.object({
  storeId: Id,
  items: z.array(z.object({ sku: Sku, available: z.int().nonnegative() })),
});
export type Availability = z.infer<typeof Availability>;

/**
 * delivery → inventory: POST /internal/v1/reservations/:orderId/substitutes — the units the order's reservation
 * holds for substitutes become exactly these (an empty list gives them back): all held, or 409
 * `substitute_unavailable` naming `lines.<i>.sku` and nothing changes.
 */
export const SubstituteHold = z.object({ storeId: Id, lines: z.array(Line).max(200) });
export type SubstituteHold = z.infer<typeof SubstituteHold>;

/** → payment: GET /internal/v1/ledger/balance — debits equal credits across the whole ledger. */
export const LedgerBalance = z.object({
  balanced: z.boolean(),
  debitMinor: AmountMinor,
  creditMinor: AmountMinor,
  unbalancedTransactions: z.int().nonnegative(),
  /** Debits minus credits per account; `card_holds` is money still held on cards. */
  accounts: z.array(z.object({ account: z.string(), currency: Currency, balanceMinor: z.int() })),
});
export type LedgerBalance = z.infer<typeof LedgerBalance>;
