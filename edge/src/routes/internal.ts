import {
  EDGE_SIGNATURE_HEADER,
  EDGE_TIMESTAMP_HEADER,
  OrderLiveBody,
  OrderParams,
  PurgeBody,
  problemFromZodError,
  verifyRequest,
} from "@qc/contracts";
import type { Context } from "hono";
import { Hono } from "hono";
import type { z } from "zod";
import { purgerFor } from "../cache/purger";
import type { AppEnv } from "../env";
import { ProblemError, problem } from "../errors";
import { purgeKeys } from "../middleware/auth/jwks";
import { validate } from "../middleware/validate";

/** Refuses a call core did not sign with PURGE_SECRET inside the 30 s window; returns the body text. */
async function verifiedPurgeCall(c: Context<AppEnv>): Promise<string> {
  const text = await c.req.text();
  const url = new URL(c.req.url);
  const verdict = await verifyRequest({
    secret: c.env.PURGE_SECRET,
    method: c.req.method,
    path: url.pathname + url.search,
    timestamp: c.req.header(EDGE_TIMESTAMP_HEADER),
    signature: c.req.header(EDGE_SIGNATURE_HEADER),
    body: text,
    now: Date.now(),
  });
  if (!verdict.ok) throw problem(401, "unauthorized", `Purge signature ${verdict.reason.replace("_", " ")}`);
  return text;
}

/** The signed body as `schema` says, or a 400 naming what is wrong. */
function parsed<T>(c: Context<AppEnv>, schema: z.ZodType<T>, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw problem(400, "bad-request", "The body is not valid JSON");
  }
  const body = schema.safeParse(json);
  if (!body.success) throw new ProblemError(problemFromZodError(body.error, 400, c.req.path));
  return body.data;
}

/**
 * POST /internal/purge: core's invalidation consumer retires cached reads. Signed like edge→core calls
 * (HMAC over method, path, timestamp and body digest) with PURGE_SECRET, and refused outside 30 s.
 */
export const internal = new Hono<AppEnv>()
  /** POST /internal/jwks/purge: auth rotated its signing key; the cached JWKS goes, the next token refetches it. */
  .post("/jwks/purge", async (c) => {
    await verifiedPurgeCall(c);
    await purgeKeys(c.env);
    return c.body(null, 204);
  })
  .post("/purge", async (c) => {
    const body = parsed(c, PurgeBody, await verifiedPurgeCall(c));
    await purgerFor(c.env).purge(body.scopes);
    return c.body(null, 204);
  })
  /** POST /internal/orders/:id/live: core's changes to an order, fanned out by its Durable Object. */
  .post("/orders/:id/live", validate("param", OrderParams), async (c) => {
    const { events } = parsed(c, OrderLiveBody, await verifiedPurgeCall(c));
    const { id } = c.req.valid("param");
    if (events.some((event) => event.orderId !== id))
      throw problem(400, "bad-request", "Every event must be about the order of the path");
    await c.env.ORDER_EVENTS.get(c.env.ORDER_EVENTS.idFromName(id)).publish(events);
    return c.body(null, 204);
  });
