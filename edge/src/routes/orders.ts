import {
  IDEMPOTENCY_KEY_HEADER,
  IdempotencyKey,
  LIVE_WATCH_HEADER,
  liveEventOf,
  OrderParams,
  OrdersQuery,
  OrderView,
  PlaceOrderBody,
  PREFER_HEADER,
  PreferHeader,
  preferredWaitSeconds,
} from "@qc/contracts";
import { Hono } from "hono";
import { z } from "zod";
import { readYourWrites } from "../cache/read-your-writes";
import { callCoreTimeoutMs } from "../core/call";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { checkoutLimit, signedIn } from "./limits";

// Hono hands headers to validators with lower-cased names.
const CheckoutHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER.toLowerCase()]: IdempotencyKey,
  [PREFER_HEADER.toLowerCase()]: PreferHeader.optional(),
});

/** /v1/orders: checkout (idempotent, strictly limited), the shopper's orders, and cancellation. */
export const orders = new Hono<AppEnv>()
  .use(...signedIn)
  .post(
    "/",
    requireRole("shopper"),
    checkoutLimit,
    validate("header", CheckoutHeaders),
    validate("json", PlaceOrderBody),
    async (c) => {
      // `Prefer: wait=N` lets core hold the answer up to N s for the outcome (201) before it says 202:
      // the deadline is the usual one for placing the order plus that wait, so an honoured wait is never a 504.
      const prefer = c.req.header(PREFER_HEADER);
      const waitSeconds = preferredWaitSeconds(prefer);
      const response = await forward(
        c,
        "order",
        c.req.valid("json"),
        prefer === undefined
          ? {}
          : {
              headers: { [PREFER_HEADER]: prefer },
              timeoutMs: callCoreTimeoutMs(c.env, "order") + (waitSeconds ?? 0) * 1000,
            },
      );
      // Checkout empties the cart in core; the cached copy must not outlive it. A refused bump (KV takes about
      // one write a second per key: a cart change just before) must not turn a placed order into a 500.
      const user = c.get("user");
      return user ? readYourWrites(c, response, [{ kind: "cart", userId: user.id }]) : response;
    },
  )
  .get("/", requireRole("shopper", "admin"), validate("query", OrdersQuery), (c) => forward(c, "order"))
  .get("/:id", requireRole("shopper", "admin"), validate("param", OrderParams), (c) => forward(c, "order"))
  /**
   * Follows one order live (`text/event-stream`), owner or admin only: core answers who may see it (its
   * own 404 for anyone else) and the order as it stands, which seeds the order's Durable Object; the viewer
   * then streams from that object, holding no connection to core. `Last-Event-ID` resumes.
   */
  .get("/:id/events", requireRole("shopper", "admin"), validate("param", OrderParams), async (c) => {
    const { id } = c.req.valid("param");
    const order = await forward(c, "order", undefined, {
      method: "GET",
      path: `/v1/orders/${id}`,
      headers: { [LIVE_WATCH_HEADER]: "1" },
    });
    if (!order.ok) return order;
    const live = c.env.ORDER_EVENTS.get(c.env.ORDER_EVENTS.idFromName(id));
    await live.publish([liveEventOf(OrderView.parse(await order.json()))]);
    const stream = await live.fetch(c.req.raw);
    // A Durable Object's answer has immutable headers; the edge's middleware adds its own on the way out.
    return new Response(stream.body, stream);
  })
  .post("/:id/cancel", requireRole("shopper"), validate("param", OrderParams), (c) => forward(c, "order"));
