import { ServiceabilityQuery, StoreParams } from "@qc/contracts";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { readCache } from "../middleware/read-cache";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { signedIn } from "./limits";

// 4 decimals is about 11 m: neighbours share an entry, and no store radius is that sharp.
function roundCoordinates(query: URLSearchParams): URLSearchParams {
  const rounded = new URLSearchParams(query);
  for (const name of ["lat", "lng"]) {
    const value = Number(query.get(name));
    if (Number.isFinite(value)) rounded.set(name, value.toFixed(4));
  }
  return rounded;
}

/**
 * /v1/stores: serviceability, cached per rounded location and retired when any store changes; store staff
 * claim their store's next pick task (delivery checks that they belong to the store).
 */
export const stores = new Hono<AppEnv>()
  .get(
    "/serviceable",
    validate("query", ServiceabilityQuery),
    readCache({
      name: "serviceability",
      scopes: () => [{ kind: "stores" }],
      fill: (c) => forward(c, "catalog"),
      freshSeconds: 60,
      staleSeconds: 600,
      normalizeQuery: roundCoordinates,
    }),
  )
  .get(
    "/:storeId/pick-tasks/next",
    ...signedIn,
    requireRole("store_staff", "admin"),
    validate("param", StoreParams),
    (c) => forward(c, "delivery"),
  );
