import {
  CartView,
  CategoriesResponse,
  OrderAccepted,
  OrderView,
  type PlaceOrderBody,
  ProductPage,
  ProductView,
  RegisterResponse,
  ServiceableStore,
  TokenPair,
} from "@qc/contracts";
import type { z } from "zod";

/** A non-2xx answer from the edge, with its problem+json body. */
export class EdgeError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly requestId: string | null,
  ) {
    super(`edge answered ${status}: ${JSON.stringify(body)}`);
  }
}

/**
 * A shopper talking to the edge over HTTP (for the end-to-end journey through `wrangler dev`). Every
 * answer is parsed with the contracts schema of that route, so a shape drift fails the journey loudly.
 */
export function shopperClient(baseUrl = "http://127.0.0.1:8787") {
  let accessToken: string | null = null;

  async function call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    init: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const response = await fetch(baseUrl + path, {
      method,
      headers: {
        ...(init.body === undefined ? {} : { "content-type": "application/json" }),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...init.headers,
      },
      body: init.body === undefined ? null : JSON.stringify(init.body),
    });
    const text = await response.text();
    const body = text ? JSON.parse(text) : null;
    if (!response.ok) throw new EdgeError(response.status, body, response.headers.get("x-request-id"));
    return { body: schema.parse(body) as z.output<S>, cache: response.headers.get("x-cache") };
  }

  return {
    register: async (email: string, password: string, name: string) =>
      (await call(RegisterResponse, "POST", "/v1/auth/register", { body: { email, password, name } })).body,
    /** Logs in and keeps the access token for the calls that follow. */
    login: async (email: string, password: string) => {
      const { body } = await call(TokenPair, "POST", "/v1/auth/login", { body: { email, password } });
      accessToken = body.accessToken;
      return body;
    },
    serviceable: async (lat: number, lng: number) =>
      (await call(ServiceableStore, "GET", `/v1/stores/serviceable?lat=${lat}&lng=${lng}`)).body,
    categories: async (storeId: string) =>
      (await call(CategoriesResponse, "GET", `/v1/catalog/categories?storeId=${storeId}`)).body,
    products: (storeId: string, query: Record<string, string> = {}) =>
      call(ProductPage, "GET", `/v1/catalog/products?${new URLSearchParams({ storeId, ...query })}`),
    product: (storeId: string, sku: string) =>
      call(ProductView, "GET", `/v1/catalog/products/${sku}?storeId=${storeId}`),
    setCartItem: async (storeId: string, sku: string, quantity: number) =>
      (await call(CartView, "PUT", `/v1/cart/items/${sku}`, { body: { storeId, quantity } })).body,
    cart: (storeId: string) => call(CartView, "GET", `/v1/cart?storeId=${storeId}`),
    checkout: async (order: PlaceOrderBody, idempotencyKey = crypto.randomUUID()) =>
      (
        await call(OrderAccepted, "POST", "/v1/orders", {
          body: order,
          headers: { "idempotency-key": idempotencyKey },
        })
      ).body,
    order: async (orderId: string) => (await call(OrderView, "GET", `/v1/orders/${orderId}`)).body,
    /** Polls the order until it reaches one of `statuses`, or fails after `timeoutMs`. */
    async waitForOrder(orderId: string, statuses: readonly OrderView["status"][], timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const order = await this.order(orderId);
        if (statuses.includes(order.status)) return order;
        if (Date.now() > deadline)
          throw new Error(`order ${orderId} still ${order.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
  };
}
