import { z } from "zod";
import { Id, IsoDateTime, Sku, text } from "../common";
import { AmountMinor } from "../money";
import { Quote } from "./internal";

const validity = {
  validFrom: IsoDateTime,
  validTo: IsoDateTime,
};
const endsAfterStart = <T extends { validFrom: string; validTo: string }>(value: T) =>
  Date.parse(value.validTo) > Date.parse(value.validFrom);
const windowMessage = { path: ["validTo"], message: "validTo must be after validFrom" };

/** What a promotion takes off a line: a percentage, a fixed amount per unit, or free units per bundle. */
export const PromotionRule = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("percentage"), percentOff: z.int().min(1).max(100) }),
  z.object({ kind: z.literal("fixed"), amountOffMinor: AmountMinor.min(1) }),
  z.object({
    kind: z.literal("buy_x_get_y"),
    buyQuantity: z.int().min(1).max(50),
    getQuantity: z.int().min(1).max(50),
  }),
]);
export type PromotionRule = z.infer<typeof PromotionRule>;

/** POST /v1/admin/promotions: `storeId` null means every store. */
export const CreatePromotionBody = z
  .object({
    storeId: Id.nullable().default(null),
    skus: z.array(Sku).min(1).max(500),
    rule: PromotionRule,
    ...validity,
  })
  .refine(endsAfterStart, windowMessage);
export type CreatePromotionBody = z.infer<typeof CreatePromotionBody>;
export const PromotionView = z.object({
  promotionId: Id,
  storeId: Id.nullable(),
  skus: z.array(Sku),
  rule: PromotionRule,
  ...validity,
});
export type PromotionView = z.infer<typeof PromotionView>;

export const CouponCode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z0-9_-]{3,64}$/, "expected 3-64 characters of A-Z, 0-9, _ or -");

/** POST /v1/admin/coupons: exactly one of `percentOff` and `amountOffMinor`. */
export const CreateCouponBody = z
  .object({
    code: CouponCode,
    percentOff: z.int().min(1).max(100).optional(),
    amountOffMinor: AmountMinor.min(1).optional(),
    maxRedemptions: z.int().min(1).max(10_000_000),
    /** Orders one shopper may use it on (default 1). */
    maxPerShopper: z.int().min(1).max(1_000).default(1),
    ...validity,
  })
  .refine((body) => (body.percentOff === undefined) !== (body.amountOffMinor === undefined), {
    path: ["percentOff"],
    message: "give exactly one of percentOff and amountOffMinor",
  })
  .refine(endsAfterStart, windowMessage);
export type CreateCouponBody = z.infer<typeof CreateCouponBody>;
export const CouponView = z.object({
  code: z.string(),
  percentOff: z.int().nullable(),
  amountOffMinor: AmountMinor.nullable(),
  maxRedemptions: z.int(),
  maxPerShopper: z.int(),
  redeemed: z.int().nonnegative(),
  ...validity,
});
export type CouponView = z.infer<typeof CouponView>;

/** 201 answer of POST /internal/v1/coupons/:code/redemptions (the same answer when repeated for an order). */
export const CouponRedemption = z.object({
  couponCode: z.string(),
  orderId: Id,
  userId: Id,
  redeemedAt: IsoDateTime,
});
export type CouponRedemption = z.infer<typeof CouponRedemption>;

/** POST /internal/v1/quotes/verify */
export const VerifyQuoteBody = z.object({ token: text().min(1).max(100_000) });
export type VerifyQuoteBody = z.infer<typeof VerifyQuoteBody>;
/** `valid` means pricing signed it (even if expired); `quote` is null when the signature fails. */
export const QuoteVerdict = z.object({ valid: z.boolean(), expired: z.boolean(), quote: Quote.nullable() });
export type QuoteVerdict = z.infer<typeof QuoteVerdict>;

/** PUT /v1/admin/stores/:storeId/fees: the store's own delivery fee (stores without one use the default). */
export const SetStoreFeesBody = z.object({ deliveryFeeMinor: AmountMinor.max(1_000_000) });
export type SetStoreFeesBody = z.infer<typeof SetStoreFeesBody>;
export const StoreFeesView = SetStoreFeesBody.extend({ storeId: Id });
export type StoreFeesView = z.infer<typeof StoreFeesView>;
