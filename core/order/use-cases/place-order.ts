import { createMessage, type OrderAccepted, type PlaceOrderBody, type Quote } from "@qc/contracts";
import type { Kysely } from "kysely";
import { transact } from "../../shared/db/transaction";
import { AppError, unprocessable } from "../../shared/http/errors";
import { enqueue } from "../../shared/outbox/enqueue";
import type { CheckoutClients } from "../clients/checkout-clients";
import { UpstreamError } from "../clients/http";
import { createAggregate } from "../db/aggregate-repository";
import { claimKey, findResponse, type StoredResponse } from "../db/idempotency-repository";
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
  };
}

async function priceCart(clients: CheckoutClients, userId: string, body: PlaceOrderBody): Promise<Quote> {
  const cart = await clients.cartLines(userId, body.storeId);
  if (cart.lines.length === 0) throw unprocessable("empty_cart", "The cart for this store is empty");
  try {
    return await clients.quote({
      userId,
      storeId: body.storeId,
      lines: cart.lines,
      ...(body.couponCode ? { couponCode: body.couponCode } : {}),
    });
  } catch (error) {
    if (error instanceof UpstreamError && error.status < 500) {
      const detail = (error.body as { title?: string } | null)?.title ?? "the cart could not be priced";
      throw new AppError(422, "quote_failed", detail);
    }
    throw error;
  }
}

/**
 * Places an order from the shopper's cart, once per Idempotency-Key: prices the cart, then in ONE
 * transaction claims the key, appends OrderPlaced with the order's snapshot and projection, and sends the
 * saga's first phase (ReserveStock and AuthorizePayment, in parallel) and OrderPlaced through the outbox.
 * Anything that fails before that stores nothing.
 */
export async function placeOrder(
  deps: PlaceOrderDeps,
  userId: string,
  key: string,
  body: PlaceOrderBody,
): Promise<PlacedResponse> {
  const hash = requestHash(body);
  const earlier = await findResponse(deps.db, userId, key);
  if (earlier) return replay(earlier, hash);

  const quote = await priceCart(deps.clients, userId, body);
  const orderId = Bun.randomUUIDv7();
  if (quote.couponCode && !(await deps.clients.redeemCoupon(quote.couponCode, orderId, userId))) {
    throw unprocessable("coupon_exhausted", "This coupon has no redemptions left");
  }
  const response: StoredResponse = {
    requestHash: hash,
    statusCode: 202,
    body: { orderId, status: "PENDING" },
  };

  const created = await transact(deps.db, async (trx) => {
    // The key row goes first: a concurrent duplicate blocks on it and then finds it taken.
    if (!(await claimKey(trx, userId, key, response, deps.idempotencyTtlHours))) return false;
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
    await createAggregate(trx, orderId, placed, state, data, deadlineOf(deps.settings, state));
    const meta = { source: "order", correlationId: orderId };
    await enqueue(
      trx,
      createMessage("OrderPlaced", { orderId, ...placed }, meta),
      ...commands.map((command) =>
        commandMessage(command, orderId, data, meta, deps.settings.reservationTtlMs),
      ),
    );
    return true;
  });
  if (created) return { statusCode: response.statusCode, body: response.body as OrderAccepted };

  const winner = await findResponse(deps.db, userId, key);
  if (!winner)
    throw new AppError(409, "idempotency_conflict", "A request with this key is still in progress");
  return replay(winner, hash);
}
