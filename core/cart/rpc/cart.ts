import { CartLines } from "@qc/contracts";
import { Cart } from "@qc/contracts/grpc/services";
import { type GrpcService, unary } from "../../shared/grpc/server";
import type { CartStore } from "../db/cart-store";

/** Cart over gRPC: the order service reads a cart's lines, and the quote of those lines, at checkout. */
export const cartRpc = (store: CartStore): GrpcService => ({
  service: Cart,
  unary: {
    getCartLines: unary({
      input: CartLines.pick({ userId: true, storeId: true }),
      output: CartLines,
      handle: async (cart) => ({ ...cart, ...(await store.contents(cart)) }),
    }),
  },
});
