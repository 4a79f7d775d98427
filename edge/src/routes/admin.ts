import {
  AddRiderBody,
  SetPriceBody,
  SetStockBody,
  StoreParams,
  StoreSkuParams,
  UpsertProductBody,
  UpsertStoreBody,
} from "@qc/contracts";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

const admin = requireRole("admin");

/** /v1/admin: store, product, price, stock and rider management, each forwarded to its owner. */
export const adminRoutes = new Hono<AppEnv>()
  .use(...signedIn)
  .post("/stores", admin, validate("json", UpsertStoreBody), (c) =>
    forward(c, "catalog", c.req.valid("json")),
  )
  .post("/products", admin, validate("json", UpsertProductBody), (c) =>
    forward(c, "catalog", c.req.valid("json")),
  )
  .put(
    "/stores/:storeId/prices/:sku",
    admin,
    validate("param", StoreSkuParams),
    validate("json", SetPriceBody),
    (c) => forward(c, "pricing", c.req.valid("json")),
  )
  .put(
    "/stores/:storeId/stock/:sku",
    requireRole("admin", "store_staff"),
    validate("param", StoreSkuParams),
    validate("json", SetStockBody),
    (c) => forward(c, "inventory", c.req.valid("json")),
  )
  .post(
    "/stores/:storeId/riders",
    admin,
    validate("param", StoreParams),
    validate("json", AddRiderBody),
    (c) => forward(c, "delivery", c.req.valid("json")),
  );
