import { z } from "zod";
import { Id, IsoDateTime, Sku } from "../common";
import { Money } from "../money";

export const CartQuery = z.object({ storeId: Id });
export type CartQuery = z.infer<typeof CartQuery>;

export const PutCartItemParams = z.object({ sku: Sku });
export type PutCartItemParams = z.infer<typeof PutCartItemParams>;
/** Sets a line's quantity; 0 removes the line. */
export const PutCartItemBody = z.object({ storeId: Id, quantity: z.int().min(0).max(99) });
export type PutCartItemBody = z.infer<typeof PutCartItemBody>;

export const CartLineView = z.object({
  sku: Sku,
  name: z.string(),
  quantity: z.int().min(1),
  unitPrice: Money,
  lineTotal: Money,
  available: z.int().nonnegative(),
  outOfStock: z.boolean(),
});
export type CartLineView = z.infer<typeof CartLineView>;

/** The cart re-priced at read time. */
export const CartView = z.object({
  storeId: Id,
  lines: z.array(CartLineView),
  subtotal: Money,
  deliveryFee: Money,
  total: Money,
  hasOutOfStock: z.boolean(),
  // Added after v1 shipped, so optional: the rest of the price breakdown and the signed quote behind it.
  discount: Money.optional(),
  smallCartFee: Money.optional(),
  surgeFee: Money.optional(),
  quote: z.object({ token: z.string(), expiresAt: IsoDateTime }).nullable().optional(),
  /** `unknown` when inventory could not be asked: lines then show `available: 0` and `outOfStock: false`. */
  availability: z.enum(["known", "unknown"]).optional(),
});
export type CartView = z.infer<typeof CartView>;

/** POST /v1/cart/merge: folds a guest's cart in a store into the signed-in shopper's cart. */
export const MergeCartBody = z.object({ guestId: Id, storeId: Id });
export type MergeCartBody = z.infer<typeof MergeCartBody>;
