import type { Role } from "@qc/contracts";
import type { RateLimitWindow } from "./middleware/rate-limit";

/** The verified caller, set by the auth middleware. */
export interface User {
  id: string;
  roles: Role[];
  /** The stores a store_staff member or rider belongs to (from the token). */
  storeIds?: string[];
}

export type CacheStatus = "HIT" | "MISS" | "STALE" | "BYPASS";

/** Per-request values the middleware chain shares through `c.var`. */
export interface Variables {
  requestId: string;
  traceparent: string;
  user?: User;
  cacheStatus?: CacheStatus;
  /** Rate-limit windows a later limiter on the route decides together with its own (see rateLimit). */
  rateLimitWindows?: RateLimitWindow[];
}

/** The Hono environment of every edge app: bindings from `wrangler types` plus our variables. */
export interface AppEnv {
  Bindings: Env;
  Variables: Variables;
}
