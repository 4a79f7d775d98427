import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";
import { ledgerRoutes } from "./routes/ledger";

/** Mounts the payment service's routes. */
export const app = (ctx: ServiceContext<Database>) =>
  new Elysia({ name: "payment-routes" }).use(ledgerRoutes(ctx));
