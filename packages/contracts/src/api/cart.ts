import { z } from "zod";
import { Id, IsoDateTime, Sku, text } from "../common";
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

/** The header that carries a guest's signed identity on cart requests made before sign-in. */
export const GUEST_TOKEN_HEADER = "X-Guest-Token";
/** A guest token as cart issues it: a compact JWS, never a bare id a client could choose. */
export const GuestToken = text()
  .min(20)
  .max(1024)
  .regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, "expected a signed guest token");
export type GuestToken = z.infer<typeof GuestToken>;
/** POST /v1/cart/guest: a new guest identity, signed by cart. */
export const GuestTokenResponse = z.object({ guestToken: z.string(), expiresIn: z.int().positive() });
export type GuestTokenResponse = z.infer<typeof GuestTokenResponse>;

/** POST /v1/cart/merge: folds the cart of the guest the token names, in a store, into the signed-in shopper's cart. */
export const MergeCartBody = z.object({ guestToken: GuestToken, storeId: Id });
export type MergeCartBody = z.infer<typeof MergeCartBody>;
