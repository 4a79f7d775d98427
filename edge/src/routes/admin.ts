import {
  AddRiderBody,
  AdminOrderQuery,
  ApiKeyParams,
  CreateApiKeyBody,
  CreateCouponBody,
  CreatePromotionBody,
  OrderParams,
  SetPriceBody,
  SetRolesBody,
  SetStockBody,
  StockTransferBody,
  StockTransferHeaders,
  StockTransferParams,
  StoreParams,
  StoreSkuParams,
  UpsertProductBody,
  UpsertStoreBody,
  UserParams,
} from "@qc/contracts";
import { Hono } from "hono";
import { readYourWrites } from "../cache/read-your-writes";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

const admin = requireRole("admin");

/**
 * /v1/admin: stores and products (catalog), prices, promotions and coupons (pricing), stock (inventory),
 * riders (delivery), orders as of an instant and their audit trail (order), user roles, API keys and
 * signing-key rotation (auth), each forwarded to its owner.
 */
export const adminRoutes = new Hono<AppEnv>()
  .use(...signedIn)
  .post("/stores", admin, validate("json", UpsertStoreBody), (c) =>
    forward(c, "catalog", c.req.valid("json")),
  )
  .post("/products", admin, validate("json", UpsertProductBody), async (c) => {
    const { sku, prices } = c.req.valid("json");
    return readYourWrites(
      c,
      await forward(c, "catalog", c.req.valid("json")),
      prices.flatMap(({ storeId }) => [
        { kind: "store", storeId },
        { kind: "product", storeId, sku },
      ]),
    );
  })
  .put(
    "/stores/:storeId/prices/:sku",
    admin,
    validate("param", StoreSkuParams),
    validate("json", SetPriceBody),
    async (c) => {
      const { storeId, sku } = c.req.valid("param");
      return readYourWrites(c, await forward(c, "pricing", c.req.valid("json")), [
        { kind: "store", storeId },
        { kind: "product", storeId, sku },
      ]);
    },
  )
  .post("/promotions", admin, validate("json", CreatePromotionBody), (c) =>
    forward(c, "pricing", c.req.valid("json")),
  )
  .post("/coupons", admin, validate("json", CreateCouponBody), (c) =>
    forward(c, "pricing", c.req.valid("json")),
  )
  .get("/stores/:storeId/stock", requireRole("admin", "store_staff"), validate("param", StoreParams), (c) =>
    forward(c, "inventory"),
  )
  .put(
    "/stores/:storeId/stock/:sku",
    requireRole("admin", "store_staff"),
    validate("param", StoreSkuParams),
    validate("json", SetStockBody),
    async (c) =>
      readYourWrites(c, await forward(c, "inventory", c.req.valid("json")), [
        { kind: "product", ...c.req.valid("param") },
      ]),
  )
  .post(
    "/stock-transfers",
    admin,
    validate("header", StockTransferHeaders),
    validate("json", StockTransferBody),
    (c) => forward(c, "inventory", c.req.valid("json")),
  )
  .get("/stock-transfers/:transferId", admin, validate("param", StockTransferParams), (c) =>
    forward(c, "inventory"),
  )
  .post(
    "/stores/:storeId/riders",
    admin,
    validate("param", StoreParams),
    validate("json", AddRiderBody),
    (c) => forward(c, "delivery", c.req.valid("json")),
  )
  .get("/orders/:id", admin, validate("param", OrderParams), validate("query", AdminOrderQuery), (c) =>
    forward(c, "order"),
  )
  .get("/orders/:id/events", admin, validate("param", OrderParams), (c) => forward(c, "order"))
  .put("/users/:userId/roles", admin, validate("param", UserParams), validate("json", SetRolesBody), (c) =>
    forward(c, "auth", c.req.valid("json")),
  )
  .post("/api-keys", admin, validate("json", CreateApiKeyBody), (c) =>
    forward(c, "auth", c.req.valid("json")),
  )
  .get("/api-keys", admin, (c) => forward(c, "auth"))
  .delete("/api-keys/:keyId", admin, validate("param", ApiKeyParams), (c) => forward(c, "auth"))
  .post("/auth/keys/rotate", admin, (c) => forward(c, "auth"));
