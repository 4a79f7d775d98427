import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { apiKeyRoutes } from "./routes/api-keys";
import { keyRoutes } from "./routes/keys";
import { sessionRoutes } from "./routes/session";
import { userRoutes } from "./routes/users";

/** Mounts the auth service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "auth-routes" })
    .use(sessionRoutes(ctx))
    .use(keyRoutes(ctx))
    .use(userRoutes(ctx))
    .use(apiKeyRoutes(ctx));
