import type { Line, Quote } from "@qc/contracts";
import type { Kysely } from "kysely";
import { redisKey } from "../../shared/cache/namespace";
import type { ServiceContext } from "../../shared/runtime/context";
import { type CartRef, findCart } from "./cart-repository";
import type { Database } from "./schema";

// A cart is one Redis hash, `cart:<user>:<store>`: a field per SKU holding its quantity, and `_v`, the cart's
// version, which also marks the hash as loaded (a cart Redis lost has no `_v` and is reloaded from Postgres).
// Beside it, `cart:<user>:<store>:meta` holds `l:<SKU>`, the cart version that last wrote that line, and `q`,
// the quote pricing signed for what the shopper was last shown (by a write or a read; checkout charges it once
// order has checked its token and lines). They live apart because cart instances of an older release, running
// beside newer ones during a rolling update, read every field of the cart's hash but `_v` as a SKU.
const VERSION = "_v";

// Each script changes the hash and appends the write to the write-behind stream in one atomic step, so no
// write can reach Redis without also being queued for Postgres. -1 means the hash is not loaded. KEYS: the
// cart's hash, the stream, the cart's meta hash. A write replaces the quote with the one priced for the lines
// it leaves (ARGV[7], empty for none).
const SET_ITEM = `
if redis.call('HEXISTS', KEYS[1], '${VERSION}') == 0 then return -1 end
local version = redis.call('HINCRBY', KEYS[1], '${VERSION}', 1)
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[3], 'l:' .. ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  redis.call('HSET', KEYS[3], 'l:' .. ARGV[1], version)
end
if ARGV[7] == '' then redis.call('HDEL', KEYS[3], 'q') else redis.call('HSET', KEYS[3], 'q', ARGV[7]) end
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('XADD', KEYS[2], '*', 'user', ARGV[3], 'store', ARGV[4], 'corr', ARGV[5], 'sku', ARGV[1], 'qty', ARGV[2], 'v', version)
return version`;

const CLEAR_LOADED = `
local version = redis.call('HINCRBY', KEYS[1], '${VERSION}', 1)
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if field ~= '${VERSION}' then redis.call('HDEL', KEYS[1], field) end
end
redis.call('DEL', KEYS[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('XADD', KEYS[2], '*', 'user', ARGV[1], 'store', ARGV[2], 'corr', ARGV[3], 'op', 'clear', 'v', version)
return version`;

const CLEAR = `
if redis.call('HEXISTS', KEYS[1], '${VERSION}') == 0 then return -1 end
${CLEAR_LOADED}`;

// An order takes the lines of the cart version it read (ARGV[5]; empty: unknown, every line): lines written
// after it stay. When nothing stays this is CLEAR (one CartCleared); otherwise each line taken is a write of
// quantity 0. A line with no version of its own (reloaded from Postgres, or written by an older release)
// counts as read by the order.
const TAKE_ORDERED = `
if redis.call('HEXISTS', KEYS[1], '${VERSION}') == 0 then return -1 end
local read = tonumber(ARGV[5])
local fields = redis.call('HGETALL', KEYS[1])
local taken, kept = {}, false
for i = 1, #fields, 2 do
  local sku = fields[i]
  if sku ~= '${VERSION}' then
    local written = tonumber(redis.call('HGET', KEYS[3], 'l:' .. sku)) or 0
    if read == nil or written <= read then table.insert(taken, sku) else kept = true end
  end
end
if not kept then
${CLEAR_LOADED}
end
redis.call('EXPIRE', KEYS[1], ARGV[4])
local version = tonumber(redis.call('HGET', KEYS[1], '${VERSION}'))
if #taken > 0 then redis.call('HDEL', KEYS[3], 'q') end
for _, sku in ipairs(taken) do
  redis.call('HDEL', KEYS[1], sku)
  redis.call('HDEL', KEYS[3], 'l:' .. sku)
  version = redis.call('HINCRBY', KEYS[1], '${VERSION}', 1)
  redis.call('XADD', KEYS[2], '*', 'user', ARGV[1], 'store', ARGV[2], 'corr', ARGV[3], 'sku', sku, 'qty', '0', 'v', version)
end
return version`;

// A read's quote replaces the kept one (ARGV[2], empty: none) only if no write came since the read (ARGV[1]):
// checkout then charges what the shopper was last shown. KEYS: the cart's hash, its meta hash.
const KEEP_QUOTE = `
if redis.call('HGET', KEYS[1], '${VERSION}') ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('HDEL', KEYS[2], 'q') else redis.call('HSET', KEYS[2], 'q', ARGV[2]) end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return 1`;

// Loads a cart into Redis unless another request already did.
const HYDRATE = `
if redis.call('HEXISTS', KEYS[1], '${VERSION}') == 1 then return 0 end
redis.call('HSET', KEYS[1], '${VERSION}', ARGV[1])
for i = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1`;

// Only cart writes the kept quote, from pricing's answer; a copy that does not parse is no quote (order checks
// the token of one that does).
const quoteOf = (stored: string | undefined): Quote | undefined => {
  if (stored === undefined) return undefined;
  try {
    return JSON.parse(stored) as Quote;
  } catch {
    return undefined;
  }
};

/** A cart's hash read from Redis: its lines and version, or null when Redis does not hold it. */
export function parseCartHash(hash: Record<string, string>): { lines: Line[]; version: number } | null {
  const version = hash[VERSION];
  if (version === undefined) return null;
  const lines = Object.entries(hash)
    .filter(([field]) => field !== VERSION)
    .map(([sku, quantity]) => ({ sku, quantity: Number(quantity) }))
    .sort((a, b) => a.sku.localeCompare(b.sku));
  return { lines, version: Number(version) };
}

/**
 * Carts in Redis, written behind to Postgres. Reads that find no hash (expired, or Redis lost it) load the
 * Postgres copy and put it back into Redis before answering.
 */
export function createCartStore(ctx: ServiceContext<Database>) {
  const { redis, config } = ctx;
  const ttl = String(config.CART_REDIS_TTL_SECONDS);
  const hashKey = (cart: CartRef) => redisKey(config, "cart", cart.userId, cart.storeId);
  const metaKey = (cart: CartRef) => redisKey(config, "cart", cart.userId, cart.storeId, "meta");
  const stream = redisKey(config, "cart", "write-behind");

  const hydrate = async (db: Kysely<Database>, cart: CartRef) => {
    const row = await findCart(db, cart);
    const lines = row?.lines ?? [];
    const version = row?.version ?? 0;
    const pairs = lines.flatMap((line) => [line.sku, String(line.quantity)]);
    await redis.eval(HYDRATE, 1, hashKey(cart), String(version), ttl, ...pairs);
    return { lines, version };
  };

  /** Runs a write script; if Redis does not hold the cart, loads it first and runs the script again. */
  const write = async (script: string, cart: CartRef, args: string[]): Promise<number> => {
    const keys = [hashKey(cart), stream, metaKey(cart)];
    const first = Number(await redis.eval(script, keys.length, ...keys, ...args));
    if (first !== -1) return first;
    await hydrate(ctx.db, cart);
    return Number(await redis.eval(script, keys.length, ...keys, ...args));
  };

  /** A cart's lines and version, from Redis or, when Redis lost the cart, from Postgres (then put back). */
  const state = async (cart: CartRef): Promise<{ lines: Line[]; version: number }> =>
    parseCartHash(await redis.hgetall(hashKey(cart))) ?? hydrate(ctx.db, cart);

  return {
    stream,
    hashKey,
    metaKey,
    state,
    /** A cart's lines (see `state`). */
    lines: async (cart: CartRef): Promise<Line[]> => (await state(cart)).lines,
    /** A cart's lines, version and the quote kept for it, if any (checkout's read; a reloaded cart has none). */
    async contents(cart: CartRef): Promise<{ lines: Line[]; version: number; quote: Quote | undefined }> {
      const [hash, quote] = await Promise.all([redis.hgetall(hashKey(cart)), redis.hget(metaKey(cart), "q")]);
      const cached = parseCartHash(hash);
      if (!cached) return { ...(await hydrate(ctx.db, cart)), quote: undefined };
      return { ...cached, quote: quoteOf(quote ?? undefined) };
    },
    /** Keeps the quote a read priced at cart `version` (none: drops the kept one), unless a write came since. */
    keepQuote: async (cart: CartRef, version: number, quote: Quote | undefined) => {
      const json = quote ? JSON.stringify(quote) : "";
      await redis.eval(KEEP_QUOTE, 2, hashKey(cart), metaKey(cart), String(version), json, ttl);
    },
    /** A cart's state in Redis only, or null when Redis does not hold it (the write-behind reads this). */
    async snapshot(cart: CartRef) {
      return parseCartHash(await redis.hgetall(hashKey(cart)));
    },
    /**
     * Sets one SKU's quantity (0 removes it) with the quote of the lines it leaves (if the caller priced
     * them) and queues the write for Postgres.
     */
    setQuantity: (cart: CartRef, sku: string, quantity: number, correlationId: string, quote?: Quote) =>
      write(SET_ITEM, cart, [
        sku,
        String(quantity),
        cart.userId,
        cart.storeId,
        correlationId,
        ttl,
        quote ? JSON.stringify(quote) : "",
      ]),
    /** Empties the cart and queues the write for Postgres. */
    clear: (cart: CartRef, correlationId: string) =>
      write(CLEAR, cart, [cart.userId, cart.storeId, correlationId, ttl]),
    /**
     * Takes out of the cart the lines an order read at cart version `read` (undefined: every line) and queues
     * the writes for Postgres: a line the shopper added or changed after the order read the cart stays.
     */
    takeOrdered: (cart: CartRef, read: number | undefined, correlationId: string) =>
      write(TAKE_ORDERED, cart, [
        cart.userId,
        cart.storeId,
        correlationId,
        ttl,
        read === undefined ? "" : String(read),
      ]),
  };
}

export type CartStore = ReturnType<typeof createCartStore>;
