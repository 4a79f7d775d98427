import { CartLines } from "@qc/contracts";
import { Elysia } from "elysia";
import type { CartStore } from "../db/cart-store";

/** The order service reads a cart's lines at checkout. */
export const internalCartRoutes = (store: CartStore) =>
  new Elysia().get(
    "/internal/v1/carts/:userId/:storeId",
    async ({ params }) => ({
      userId: params.userId,
      storeId: params.storeId,
      lines: await store.lines(params),
    }),
    { params: CartLines.pick({ userId: true, storeId: true }), response: CartLines },
  );
