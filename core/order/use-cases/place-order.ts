import { createMessage, type Line, type OrderAccepted, type PlaceOrderBody, type Quote } from "@qc/contracts";
import type { Kysely } from "kysely";
import { verifyQuoteToken } from "../../shared/auth/quote-token";
import { transact } from "../../shared/db/transaction";
import { DownstreamRefusal } from "../../shared/grpc/errors";
import { AppError, unprocessable } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { Logger } from "../../shared/telemetry/logger";
import { currentScope, forOrder } from "../../shared/telemetry/scope";
import type { CheckoutClients } from "../clients/checkout-clients";
import { createAggregate } from "../db/aggregate-repository";
import {
  claimPending,
  completeKey,
  findResponse,
  insertAnswered,
  PENDING,
  releasePending,
  type StoredResponse,
} from "../db/idempotency-repository";
import type { Database, SagaData } from "../db/schema";
import { requestHash } from "../domain/idempotency";
import type { PlacedOrder } from "../domain/order";
import { startSaga } from "../domain/saga";
import { commandMessage } from "./messages";
import { deadlineOf, type SagaSettings } from "./settings";

export interface PlaceOrderDeps {
  db: Kysely<Database>;
  clients: CheckoutClients;
  settings: SagaSettings;
  idempotencyTtlHours: number;
  logger: Logger;
  /** Checks the quote a cart kept (PRICING_QUOTE_SECRET), so it is charged only as pricing signed it. */
  quoteSecret: string;
}

export interface PlacedResponse {
  statusCode: number;
  body: OrderAccepted;
}

/** The first response of a key, or 422 when the key was first used with another body. */
function replay(stored: StoredResponse, hash: string): PlacedResponse {
  if (stored.requestHash !== hash) {
    throw unprocessable("idempotency_key_reused", "This Idempotency-Key was used with a different request");
  }
  return { statusCode: stored.statusCode, body: stored.body as OrderAccepted };
}

function placedFrom(quote: Quote, body: PlaceOrderBody, userId: string): PlacedOrder {
  const money = (amountMinor: number) => ({ amountMinor, currency: quote.currency });
  return {
    userId,
    storeId: body.storeId,
    lines: quote.lines.map(({ sku, quantity, unitPriceMinor }) => ({ sku, quantity, unitPriceMinor })),
    subtotal: money(quote.subtotalMinor),
    deliveryFee: money(quote.deliveryFeeMinor + quote.smallCartFeeMinor + quote.surgeFeeMinor),
    discount: money(quote.discountMinor),
    total: money(quote.totalMinor),
    address: body.address,
    couponCode: quote.couponCode,
    express: body.express ?? false,
    allowSubstitutions: body.allowSubstitutions ?? false,
  };
}

// A cart's quote is charged only with this much of its validity left: it must not lapse while the order is
// being written.
const QUOTE_TIME_LEFT_MS = 5_000;

const sameLines = (quote: Quote, lines: readonly Line[]) => {
  const ordered = new Map(lines.map((line) => [line.sku, line.quantity]));
  return (
    quote.lines.length === ordered.size &&
    quote.lines.every((line) => ordered.get(line.sku) === line.quantity)
  );
};

/**
 * The quote cart kept with the lines, as pricing signed it, if it can be charged as it is: its token checks
 * out (what is charged is the signed payload, never the copy cart stored beside it), and it prices exactly
 * these lines for this shopper and store, without a coupon, with time left.
 */
function chargeableQuote(
  kept: Quote | undefined,
  lines: readonly Line[],
  userId: string,
  body: PlaceOrderBody,
  secret: string,
): Quote | undefined {
  if (!kept || body.couponCode) return undefined;
  const { valid, quote } = verifyQuoteToken(kept.token, secret, new Date());
  if (!valid || !quote) return undefined;
  const usable =
    quote.couponCode === null &&
    quote.userId === userId &&
    quote.storeId === body.storeId &&
    Date.parse(quote.expiresAt) - Date.now() >= QUOTE_TIME_LEFT_MS &&
    sameLines(quote, lines);
  return usable ? quote : undefined;
}

/** What an order is placed from: the quote it charges and the version of the cart that quote prices. */
interface PricedCart {
  quote: Quote;
  cartVersion: number | undefined;
}

/**
 * The quote the order charges: the one cart kept for what the shopper was last shown, once its token checks
 * out for exactly the cart's lines (pricing honours a quote until it expires), else a fresh one, with the
 * coupon if any.
 */
async function priceCart(deps: PlaceOrderDeps, userId: string, body: PlaceOrderBody): Promise<PricedCart> {
  const cart = await deps.clients.cartLines(userId, body.storeId);
  if (cart.lines.length === 0) throw unprocessable("empty_cart", "The cart for this store is empty");
  const cartVersion = cart.version;
  const kept = chargeableQuote(cart.quote, cart.lines, userId, body, deps.quoteSecret);
  if (kept) return { quote: kept, cartVersion };
  try {
    const quote = await deps.clients.quote({
      userId,
      storeId: body.storeId,
      lines: cart.lines,
      ...(body.couponCode ? { couponCode: body.couponCode } : {}),
    });
    return { quote, cartVersion };
  } catch (error) {
    if (error instanceof DownstreamRefusal) throw new AppError(422, "quote_failed", error.message);
    throw error;
  }
}

/** The stored response of a key, waiting (briefly) while another request with that key is still working. */
async function settledResponse(deps: PlaceOrderDeps, userId: string, key: string) {
  for (let waited = 0; ; waited += 50) {
    const stored = await findResponse(deps.db, userId, key);
    if (stored?.statusCode !== PENDING || waited >= 5_000) return stored;
    await Bun.sleep(50);
  }
}

const couponRefusals = {
  exhausted: ["coupon_exhausted", "This coupon has no redemptions left"],
  used_by_shopper: ["coupon_used_by_shopper", "You already used this coupon on another order"],
} as const;

/**
 * The order's one transaction: appends OrderPlaced with the order's snapshot and projection and sends the
 * saga's first phase (ReserveStock and AuthorizePayment, in parallel) and OrderPlaced through the outbox.
 */
async function writeOrder(
  trx: Kysely<Database>,
  deps: PlaceOrderDeps,
  orderId: string,
  userId: string,
  body: PlaceOrderBody,
  { quote, cartVersion }: PricedCart,
): Promise<void> {
  const placed = placedFrom(quote, body, userId);
  const { state, commands } = startSaga();
  const data: SagaData = {
    userId,
    storeId: body.storeId,
    lines: placed.lines.map(({ sku, quantity }) => ({ sku, quantity })),
    address: body.address,
    amount: placed.total,
    paymentToken: body.payment.token,
    paymentId: Bun.randomUUIDv7(),
    correlationId: orderId,
  };
  const order = await createAggregate(trx, orderId, placed, state, data, deadlineOf(deps.settings, state), {
    correlationId: currentScope().correlationId ?? orderId,
    causationId: null,
    actor: { kind: "shopper", id: userId },
  });
  const meta = { source: "order", correlationId: orderId };
  await enqueue(
    trx,
    createMessage(
      "OrderPlaced",
      { orderId, ...placed, ...(cartVersion !== undefined && { cartVersion }) },
      meta,
    ),
    ...commands.map((command) => commandMessage(command, order, data, meta, deps.settings.reservationTtlMs)),
  );
}

const accepted = (orderId: string, requestHash: string): StoredResponse => ({
  requestHash,
  statusCode: 202,
  body: { orderId, status: "PENDING" },
});

// Thrown inside the fast path's transaction to roll it back when its key turns out to be taken.
class KeyTaken extends Error {}

/**
 * The common case, a fresh key and no coupon, in ONE transaction: the key is stored with its answer beside the
 * order (no claim of its own committed first). Undefined when the key was there already: the claiming path
 * then answers it. Nothing outside the transaction needs undoing, since no coupon was redeemed.
 */
async function placeFreshWithoutCoupon(
  deps: PlaceOrderDeps,
  userId: string,
  key: string,
  body: PlaceOrderBody,
  orderId: string,
  hash: string,
): Promise<PlacedResponse | undefined> {
  return forOrder(orderId, async () => {
    let priced: PricedCart;
    try {
      priced = await priceCart(deps, userId, body);
    } catch (error) {
      // A key used before (whose order emptied the cart, say) is answered by the claiming path, not refused.
      if (await findResponse(deps.db, userId, key)) return undefined;
      throw error;
    }
    const response = accepted(orderId, hash);
    try {
      await transact(deps.db, async (trx) => {
        if (!(await insertAnswered(trx, userId, key, response, deps.idempotencyTtlHours)))
          throw new KeyTaken();
        await writeOrder(trx, deps, orderId, userId, body, priced);
      });
    } catch (error) {
      if (error instanceof KeyTaken) return undefined;
      throw error;
    }
    return { statusCode: response.statusCode, body: response.body as OrderAccepted };
  });
}

/**
 * Places an order from the shopper's cart, once per Idempotency-Key. With a fresh key and no coupon, the cart
 * is priced and ONE transaction stores the key's response beside the order (placeFreshWithoutCoupon).
 * Otherwise the key is claimed first (PENDING, with the order id this request will create), so a duplicate
 * never spends a second coupon use; then the cart is priced and the coupon redeemed for that order id; then
 * one transaction writes the order (writeOrder) and stores the key's response. If anything fails before that
 * commits, the coupon use is given back and the key released, so nothing is half-done and a retry starts
 * clean. `newOrderId` is the id the order gets if this request creates it (a caller may listen on it
 * beforehand).
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  userId: string,
  key: string,
  body: PlaceOrderBody,
  newOrderId: string = Bun.randomUUIDv7(),
): Promise<PlacedResponse> {
  const hash = requestHash(body);
  if (!body.couponCode) {
    const placed = await placeFreshWithoutCoupon(deps, userId, key, body, newOrderId, hash);
    if (placed) return placed;
  }
  const conflictInProgress = () =>
    new AppError(409, "idempotency_conflict", "A request with this key is still in progress");
  const answered = async () => {
    const stored = await settledResponse(deps, userId, key);
    if (!stored || stored.statusCode === PENDING) throw conflictInProgress();
    return replay(stored, hash);
  };
  // claimPending answers null for a key already answered or held by another request at work, and takes over
  // a claim whose request died once it is 30 s old.
  const claim = await claimPending(
    deps.db,
    userId,
    key,
    { orderId: newOrderId, requestHash: hash },
    deps.idempotencyTtlHours,
  );
  if (!claim) return answered();
  const { orderId } = claim;
  // From here the work is this order's: its spans and log lines, and the calls to cart and pricing, carry its id.
  return forOrder(orderId, async () => {
    let redeemed: string | null = null;
    try {
      const priced = await priceCart(deps, userId, body);
      const { quote } = priced;
      if (quote.couponCode) {
        const outcome = await deps.clients.redeemCoupon(quote.couponCode, orderId, userId);
        if (outcome !== "redeemed") {
          const [code, detail] = couponRefusals[outcome];
          throw unprocessable(code, detail);
        }
        redeemed = quote.couponCode;
      }
      const response = accepted(orderId, hash);
      await transact(deps.db, async (trx) => {
        await completeKey(trx, userId, key, response);
        await writeOrder(trx, deps, orderId, userId, body, priced);
      });
      return { statusCode: response.statusCode, body: response.body as OrderAccepted };
    } catch (error) {
      if (redeemed) {
        const code = redeemed;
        await deps.clients.releaseCoupon(code, orderId).catch((releaseError) =>
          // Left held, the use is released by the order's absence only if an operator looks: say so.
          deps.logger.error(
            { err: releaseError, orderId, couponCode: code },
            "coupon use of a failed checkout not given back",
          ),
        );
      }
      await releasePending(deps.db, userId, key).catch(() => {
        // The claim is taken over after 30 s anyway.
      });
      throw error;
    }
  });
}
