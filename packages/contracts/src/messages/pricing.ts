import { z } from "zod";
import { Id, Sku } from "../common";
import { Money } from "../money";
import { defineMessage } from "./define";

const topic = "pricing.events.v1";

export const PriceChangedData = z.object({ storeId: Id, sku: Sku, price: Money });
export type PriceChangedData = z.infer<typeof PriceChangedData>;
export const CouponRedeemedData = z.object({
  couponCode: z.string().min(1).max(64),
  orderId: Id,
  userId: Id,
  discount: Money,
});
export type CouponRedeemedData = z.infer<typeof CouponRedeemedData>;

export const pricingMessages = [
  defineMessage({
    type: "PriceChanged",
    topic,
    version: 1,
    schema: PriceChangedData,
    subject: (d) => `${d.storeId}:${d.sku}`,
  }),
  defineMessage({
    type: "CouponRedeemed",
    topic,
    version: 1,
    schema: CouponRedeemedData,
    subject: (d) => d.couponCode,
  }),
] as const;
