import { z } from "zod";
import { Id, Sku } from "../common";
import { defineMessage } from "./define";

const topic = "cart.events.v1";
const byCart = (d: { userId: string; storeId: string }) => `${d.userId}:${d.storeId}`;

export const CartItemSetData = z.object({
  userId: Id,
  storeId: Id,
  sku: Sku,
  quantity: z.int().min(0).max(99),
});
export type CartItemSetData = z.infer<typeof CartItemSetData>;
export const CartClearedData = z.object({ userId: Id, storeId: Id });
export type CartClearedData = z.infer<typeof CartClearedData>;

export const cartMessages = [
  defineMessage({ type: "CartItemSet", topic, version: 1, schema: CartItemSetData, subject: byCart }),
  defineMessage({ type: "CartCleared", topic, version: 1, schema: CartClearedData, subject: byCart }),
] as const;
