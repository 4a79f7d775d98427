import type { PurgeScope } from "@qc/contracts";
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { KvPurger } from "./purger";

/**
 * Read-your-writes for whoever wrote (an operator's price, a shopper's cart): once core has accepted a change,
 * the cached reads it affects are retired here before the answer goes back, so the next read shows the change
 * instead of a page cached just before it (core's own purge, through its events, follows a moment later for
 * everyone else). A write through the Worker's KV binding is read back at once at the same location, which is
 * where the writer reads next.
 */
export async function readYourWrites(
  c: Context<AppEnv>,
  response: Response,
  scopes: PurgeScope[],
): Promise<Response> {
  if (!response.ok) return response;
  try {
    await new KvPurger(c.env.CACHE).purge(scopes);
  } catch (error) {
    // The write stands (core has it); only the writer's next read may be a moment old. KV refuses more than
    // about one write a second to one key, which a bulk price script or a shopper tapping "+" twice can reach.
    console.warn(
      JSON.stringify({ level: "warn", msg: "read-your-writes purge failed", error: String(error) }),
    );
  }
  return response;
}
