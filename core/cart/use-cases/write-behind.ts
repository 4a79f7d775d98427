import { type AnyMessage, createMessage } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { enqueue } from "../../shared/outbox/enqueue";
import type { ServiceContext, Stoppable } from "../../shared/runtime/context";
import { type CartRef, findCart, saveCarts } from "../db/cart-repository";
import type { CartStore } from "../db/cart-store";
import type { Database } from "../db/schema";
import { applyWrite } from "../domain/cart";

const GROUP = "cart-write-behind";
const BATCH = 200;
// A write another instance read but did not acknowledge within this time is taken over (it likely died).
const CLAIM_IDLE_MS = 30_000;

interface QueuedWrite {
  id: string;
  cart: CartRef;
  correlationId: string;
  version: number;
  write: { sku: string; quantity: number } | "clear";
}

type StreamEntry = [id: string, fields: string[]];

const toWrite = ([id, fields]: StreamEntry): QueuedWrite => {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] as string] = fields[i + 1] as string;
  return {
    id,
    cart: { userId: f.user ?? "", storeId: f.store ?? "" },
    correlationId: f.corr ?? id,
    version: Number(f.v),
    write: f.op === "clear" ? "clear" : { sku: f.sku ?? "", quantity: Number(f.qty) },
  };
};

// XREADGROUP answers a map by stream under RESP3 and a list of [stream, entries] under RESP2.
const entriesOf = (reply: unknown): StreamEntry[] => {
  if (!reply) return [];
  const streams = Array.isArray(reply) ? reply.map((pair) => pair[1]) : Object.values(reply as object);
  return streams.flat() as StreamEntry[];
};

const eventOf = (write: QueuedWrite): AnyMessage => {
  const meta = { source: "cart", correlationId: write.correlationId };
  return write.write === "clear"
    ? createMessage("CartCleared", write.cart, meta)
    : createMessage("CartItemSet", { ...write.cart, ...write.write }, meta);
};

/**
 * Drains the write-behind stream into Postgres. Every instance reads through one consumer group, so each
 * write is flushed once. What gathered over `CART_FLUSH_INTERVAL_MS` (up to 200 writes, any number of carts)
 * commits in one transaction with its CartItemSet/CartCleared events in the outbox, and the stream entries
 * are acknowledged only after that commit (at-least-once; a replayed write
 * stores the same state and re-announces the same quantity). The stored state is Redis's current state of
 * the cart, guarded by version; if Redis lost the cart, the queued writes themselves are replayed onto the
 * Postgres copy.
 */
export async function startWriteBehind(ctx: ServiceContext<Database>, store: CartStore): Promise<Stoppable> {
  const consumer = crypto.randomUUID();
  try {
    await ctx.redis.send("XGROUP", ["CREATE", store.stream, GROUP, "0", "MKSTREAM"]);
  } catch (error) {
    if (!String(error).includes("BUSYGROUP")) throw error;
  }

  /** What to store for a cart Redis no longer holds: its queued writes replayed onto the stored copy. */
  const replayed = async (trx: Kysely<Database>, cart: CartRef, writes: QueuedWrite[]) => {
    const row = await findCart(trx, cart, { forUpdate: true });
    const newer = writes.filter((write) => write.version > (row?.version ?? 0));
    return {
      lines: newer.reduce((lines, write) => applyWrite(lines, write.write), row?.lines ?? []),
      version: Math.max(row?.version ?? 0, ...writes.map((write) => write.version)),
    };
  };

  // One transaction (one commit), one upsert and one acknowledgement for the whole batch, however many carts it
  // holds. Carts are stored in key order so that two instances flushing overlapping carts lock them alike.
  const flush = async (entries: StreamEntry[]) => {
    const writes = entries.map(toWrite);
    const byCart = Map.groupBy(writes, (write) => `${write.cart.userId}:${write.cart.storeId}`);
    const carts = [...byCart.keys()].sort().map((key) => byCart.get(key) as QueuedWrite[]);
    const current = await Promise.all(
      carts.map((cartWrites) => store.snapshot((cartWrites[0] as QueuedWrite).cart)),
    );
    await transact(ctx.db, async (trx) => {
      const states = [];
      for (const [i, cartWrites] of carts.entries()) {
        const { cart } = cartWrites[0] as QueuedWrite;
        states.push({ ...cart, ...(current[i] ?? (await replayed(trx, cart, cartWrites))) });
      }
      await saveCarts(trx, states);
      await enqueue(trx, ...writes.map(eventOf));
    });
    const ids = entries.map(([id]) => id);
    await ctx.redis.send("XACK", [store.stream, GROUP, ...ids]);
    await ctx.redis.send("XDEL", [store.stream, ...ids]);
  };

  const readBatch = async (): Promise<StreamEntry[]> => {
    const fresh = entriesOf(
      await ctx.redis.send("XREADGROUP", [
        "GROUP",
        GROUP,
        consumer,
        "COUNT",
        String(BATCH),
        "STREAMS",
        store.stream,
        ">",
      ]),
    );
    if (fresh.length > 0) return fresh;
    const claimed = (await ctx.redis.send("XAUTOCLAIM", [
      store.stream,
      GROUP,
      consumer,
      String(CLAIM_IDLE_MS),
      "0-0",
      "COUNT",
      String(BATCH),
    ])) as [string, StreamEntry[]] | null;
    return claimed?.[1] ?? [];
  };

  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const entries = await readBatch();
        if (entries.length > 0) await flush(entries);
        // Writes gather for an interval, so a busy minute costs a few commits, not one per write; a full
        // batch means more are waiting.
        if (entries.length < BATCH) await Bun.sleep(ctx.config.CART_FLUSH_INTERVAL_MS);
      } catch (error) {
        // Unacknowledged entries stay pending and are retried (by this or another instance) later.
        ctx.logger.error({ err: error }, "cart write-behind flush failed");
        await Bun.sleep(ctx.config.CART_FLUSH_INTERVAL_MS * 4);
      }
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
