import { Elysia } from "elysia";
import type { ServiceContext } from "../shared/runtime/context";
import type { Database } from "./db/schema";

/** Mounts the cart service's routes. */
export const app = (_ctx: ServiceContext<Database>) => new Elysia({ name: "cart-routes" });
