import { Hono } from "hono";
import type { AppEnv } from "./env";
import { bodySizeLimit } from "./middleware/body-limit";
import { configGuard } from "./middleware/config-guard";
import { correlation } from "./middleware/correlation";
import { problemErrors } from "./middleware/problem-errors";
import { rateLimit } from "./middleware/rate-limit";
import { requestLog } from "./middleware/request-log";
import { securityHeaders } from "./middleware/security-headers";
import { adminRoutes } from "./routes/admin";
import { auth } from "./routes/auth";
import { cart } from "./routes/cart";
import { catalog } from "./routes/catalog";
import { deliveries } from "./routes/deliveries";
import { docs } from "./routes/docs";
import { health } from "./routes/health";
import { internal } from "./routes/internal";
import { ops } from "./routes/ops";
import { orders } from "./routes/orders";
import { pickTasks } from "./routes/pick-tasks";
import { stores } from "./routes/stores";

const { onError, notFound } = problemErrors();

/**
 * The edge: security headers → correlation → request log → body limit → per-IP limit on /v1, then each sub-app adds
 * its own auth, roles, stricter limits, validation and cache before forwarding to core.
 */
export const app = new Hono<AppEnv>()
  .onError(onError)
  .notFound(notFound)
  .use(securityHeaders())
  .use(configGuard())
  .use(correlation())
  .use(requestLog())
  .use(bodySizeLimit())
  .use(
    "/v1/*",
    rateLimit({
      name: "ip",
      limit: (env) => Number(env.RATE_LIMIT_IP_PER_MINUTE) || 600,
      windowSeconds: 60,
      by: "ip",
    }),
  )
  .route("/v1/health", health)
  .route("/v1/auth", auth)
  .route("/v1/stores", stores)
  .route("/v1/catalog", catalog)
  .route("/v1/cart", cart)
  .route("/v1/orders", orders)
  .route("/v1/admin", adminRoutes)
  .route("/v1/deliveries", deliveries)
  .route("/v1/pick-tasks", pickTasks)
  .route("/internal", internal)
  .route("/", docs)
  .route("/", ops);
