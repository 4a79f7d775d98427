import { z } from "zod";
import {
  ApiKeyList,
  ApiKeyParams,
  CreateApiKeyBody,
  CreatedApiKey,
  SetRolesBody,
  UserParams,
  UserRolesView,
} from "../api/access";
import {
  AddRiderBody,
  RiderView,
  SetPriceBody,
  SetStockBody,
  StockTransferBody,
  StockTransferHeaders,
  StockTransferParams,
  StockTransferView,
  StockView,
  StoreParams,
  StoreSkuParams,
  StoreView,
  UpsertProductBody,
  UpsertStoreBody,
} from "../api/admin";
import { LoginBody, RefreshBody, RegisterBody, RegisterResponse, TokenPair } from "../api/auth";
import {
  CartQuery,
  CartView,
  GuestTokenResponse,
  MergeCartBody,
  PutCartItemBody,
  PutCartItemParams,
} from "../api/cart";
import {
  CategoriesQuery,
  CategoriesResponse,
  ProductPage,
  ProductQuery,
  ProductsQuery,
  ProductView,
  SkuParams,
} from "../api/catalog";
import { DeliveryParams, DeliveryStatusBody, DeliveryView } from "../api/deliveries";
import { HealthView } from "../api/health";
import { OrderLiveBody, OrderLiveEvent } from "../api/live";
import { OpsSummary, OpsSummaryQuery } from "../api/ops";
import {
  AdminOrderQuery,
  IdempotencyKey,
  OrderAccepted,
  OrderAsOfView,
  OrderAuditTrail,
  OrderPage,
  OrderParams,
  OrdersQuery,
  OrderView,
  PlaceOrderBody,
} from "../api/orders";
import { PREFER_HEADER, PreferHeader } from "../api/prefer";
import { CouponView, CreateCouponBody, CreatePromotionBody, PromotionView } from "../api/pricing";
import { PurgeBody } from "../api/purge";
import { ServiceabilityQuery, ServiceableStore } from "../api/stores";
import { IDEMPOTENCY_KEY_HEADER } from "../signing";
import type { RouteSpec } from "./route";

/** A response with an optional contract body. */
export const ok = (schema?: z.ZodType, description = "OK") => ({ description, schema });
export const noContent = { description: "No content" };
/** What catalog answers for a saved product (prices go to pricing and are not echoed). */
export const SavedProduct = UpsertProductBody.omit({ prices: true });
const admin = ["admin"] as const;
const staff = ["admin", "store_staff"] as const;

/** Every route the edge serves, in the order edge/src/app.ts mounts them. */
export const publicRoutes: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/v1/health",
    summary: "Overall readiness; operators (admin) also see each core service's, probed at most every 5 s",
    tag: "health",
    responses: { 200: ok(HealthView), 503: ok(HealthView, "Some service is degraded or down") },
  },
  {
    method: "post",
    path: "/v1/auth/register",
    summary: "Create a shopper account (never tells whether the email was taken)",
    tag: "auth",
    request: { body: RegisterBody },
    responses: { 201: ok(RegisterResponse, "Created") },
  },
  {
    method: "post",
    path: "/v1/auth/login",
    summary: "Exchange email and password for an access and a refresh token",
    tag: "auth",
    request: { body: LoginBody },
    responses: { 200: ok(TokenPair) },
  },
  {
    method: "post",
    path: "/v1/auth/refresh",
    summary: "Rotate a refresh token; reusing an old one revokes its whole family",
    tag: "auth",
    request: { body: RefreshBody },
    responses: { 200: ok(TokenPair) },
  },
  {
    method: "post",
    path: "/v1/auth/logout",
    summary: "Revoke a refresh token",
    tag: "auth",
    request: { body: RefreshBody },
    responses: { 204: noContent },
  },
  {
    method: "get",
    path: "/v1/auth/.well-known/jwks.json",
    summary: "Public keys (JWKS) that verify access tokens, including recently rotated-out ones",
    tag: "auth",
    responses: { 200: ok(undefined, "A JSON Web Key Set") },
  },
  {
    method: "get",
    path: "/v1/stores/serviceable",
    summary: "The nearest store that delivers to a location, with an ETA",
    tag: "catalog",
    request: { query: ServiceabilityQuery },
    responses: { 200: ok(ServiceableStore) },
  },
  {
    method: "get",
    path: "/v1/catalog/categories",
    summary: "Categories with product counts in one store",
    tag: "catalog",
    request: { query: CategoriesQuery },
    responses: { 200: ok(CategoriesResponse) },
  },
  {
    method: "get",
    path: "/v1/catalog/products",
    summary: "Search and page products with one store's price and availability",
    tag: "catalog",
    request: { query: ProductsQuery },
    responses: { 200: ok(ProductPage) },
  },
  {
    method: "get",
    path: "/v1/catalog/products/{sku}",
    summary: "One product in one store",
    tag: "catalog",
    request: { params: SkuParams, query: ProductQuery },
    responses: { 200: ok(ProductView) },
  },
  {
    method: "get",
    path: "/v1/cart",
    summary: "The shopper's cart in a store, re-priced, with out-of-stock lines marked",
    tag: "cart",
    roles: ["shopper"],
    request: { query: CartQuery },
    responses: { 200: ok(CartView) },
  },
  {
    method: "put",
    path: "/v1/cart/items/{sku}",
    summary: "Set a line's quantity (0 removes it)",
    tag: "cart",
    roles: ["shopper"],
    request: { params: PutCartItemParams, body: PutCartItemBody },
    responses: { 200: ok(CartView) },
  },
  {
    method: "delete",
    path: "/v1/cart",
    summary: "Empty the cart",
    tag: "cart",
    roles: ["shopper"],
    request: { query: CartQuery },
    responses: { 204: noContent },
  },
  {
    method: "post",
    path: "/v1/cart/guest",
    summary:
      "A signed guest identity for a cart before sign-in: send it as X-Guest-Token on GET/PUT/DELETE /v1/cart " +
      "instead of a bearer token, and merge that cart after sign-in",
    tag: "cart",
    responses: { 201: ok(GuestTokenResponse) },
  },
  {
    method: "post",
    path: "/v1/cart/merge",
    summary: "Merge a guest cart into the signed-in shopper's cart",
    tag: "cart",
    roles: ["shopper"],
    request: { body: MergeCartBody },
    responses: { 200: ok(CartView) },
  },
  {
    method: "post",
    path: "/v1/orders",
    summary:
      "Check out the cart; the same Idempotency-Key always answers with the same order. With `Prefer: wait=N` " +
      "(N ≤ 10) the answer waits until the order leaves PENDING (201 with the order) or N s pass (202)",
    tag: "orders",
    roles: ["shopper"],
    request: {
      headers: z.object({
        [IDEMPOTENCY_KEY_HEADER]: IdempotencyKey,
        [PREFER_HEADER]: PreferHeader.optional(),
      }),
      body: PlaceOrderBody,
    },
    responses: {
      201: ok(OrderView, "The order left PENDING within the preferred wait (Preference-Applied: wait=N)"),
      202: ok(OrderAccepted, "Accepted; the saga decides the outcome"),
    },
  },
  {
    method: "get",
    path: "/v1/orders",
    summary: "The shopper's orders (all orders for admins), newest first",
    tag: "orders",
    roles: ["shopper", "admin"],
    request: { query: OrdersQuery },
    responses: { 200: ok(OrderPage) },
  },
  {
    method: "get",
    path: "/v1/orders/{id}",
    summary: "One order with lines, totals, ETA and step history",
    tag: "orders",
    roles: ["shopper", "admin"],
    request: { params: OrderParams },
    responses: { 200: ok(OrderView) },
  },
  {
    method: "get",
    path: "/v1/orders/{id}/events",
    summary:
      "Follow one order live: its state now, then each change (status, ETA) as an SSE event whose id is the instant of the change; resumable with Last-Event-ID, ends after the final status",
    tag: "orders",
    roles: ["shopper", "admin"],
    request: { params: OrderParams },
    responses: {
      200: { ...ok(OrderLiveEvent, "A stream of order events"), contentType: "text/event-stream" },
    },
  },
  {
    method: "post",
    path: "/v1/orders/{id}/cancel",
    summary: "Cancel an order through the saga",
    tag: "orders",
    roles: ["shopper"],
    request: { params: OrderParams },
    responses: { 202: ok(OrderAccepted, "Accepted") },
  },
  {
    method: "post",
    path: "/v1/admin/stores",
    summary: "Create a store, or change one when storeId is given",
    tag: "admin",
    roles: admin,
    request: { body: UpsertStoreBody },
    responses: { 200: ok(StoreView), 201: ok(StoreView, "Created") },
  },
  {
    method: "post",
    path: "/v1/admin/products",
    summary: "Create or change a product",
    tag: "admin",
    roles: admin,
    request: { body: UpsertProductBody },
    responses: { 200: ok(SavedProduct) },
  },
  {
    method: "put",
    path: "/v1/admin/stores/{storeId}/prices/{sku}",
    summary: "Set a product's price in a store",
    tag: "admin",
    roles: admin,
    request: { params: StoreSkuParams, body: SetPriceBody },
    responses: { 200: ok() },
  },
  {
    method: "post",
    path: "/v1/admin/promotions",
    summary: "Create a promotion",
    tag: "admin",
    roles: admin,
    request: { body: CreatePromotionBody },
    responses: { 201: ok(PromotionView, "Created") },
  },
  {
    method: "post",
    path: "/v1/admin/coupons",
    summary: "Create a coupon",
    tag: "admin",
    roles: admin,
    request: { body: CreateCouponBody },
    responses: { 201: ok(CouponView, "Created") },
  },
  {
    method: "get",
    path: "/v1/admin/stores/{storeId}/stock",
    summary: "A store's stock",
    tag: "admin",
    roles: staff,
    request: { params: StoreParams },
    responses: { 200: ok(z.object({ items: z.array(StockView) })) },
  },
  {
    method: "put",
    path: "/v1/admin/stores/{storeId}/stock/{sku}",
    summary: "Receive or adjust stock",
    tag: "admin",
    roles: staff,
    request: { params: StoreSkuParams, body: SetStockBody },
    responses: { 200: ok(StockView) },
  },
  {
    method: "post",
    path: "/v1/admin/stock-transfers",
    summary:
      "Move units of a SKU between two stores, atomically across their inventory databases (two-phase " +
      "commit); answers once decided: COMMITTED, or ABORTED with the reason. The same Idempotency-Key " +
      "answers the same transfer (409 while it is undecided, 422 with another body)",
    tag: "admin",
    roles: admin,
    request: { headers: StockTransferHeaders, body: StockTransferBody },
    responses: { 201: ok(StockTransferView, "Decided") },
  },
  {
    method: "get",
    path: "/v1/admin/stock-transfers/{transferId}",
    summary: "A stock transfer's state in its coordinator's log",
    tag: "admin",
    roles: admin,
    request: { params: StockTransferParams },
    responses: { 200: ok(StockTransferView) },
  },
  {
    method: "post",
    path: "/v1/admin/stores/{storeId}/riders",
    summary: "Add a rider to a store",
    tag: "admin",
    roles: admin,
    request: { params: StoreParams, body: AddRiderBody },
    responses: { 201: ok(RiderView, "Created") },
  },
  {
    method: "get",
    path: "/v1/admin/orders/{id}",
    summary:
      "An order as it is, or with `asOf` as it was at that instant (folded from the event store); 422 for an " +
      "instant before it was placed",
    tag: "admin",
    roles: admin,
    request: { params: OrderParams, query: AdminOrderQuery },
    responses: { 200: ok(OrderAsOfView) },
  },
  {
    method: "get",
    path: "/v1/admin/orders/{id}/events",
    summary: "An order's audit trail: every event with its time, version, cause and actor",
    tag: "admin",
    roles: admin,
    request: { params: OrderParams },
    responses: { 200: ok(OrderAuditTrail) },
  },
  {
    method: "get",
    path: "/v1/admin/ops/summary",
    summary:
      "The operators' dashboard figures: the edge's traffic over the window (orders/s, checkout p50/p99, cache " +
      "hit ratio, 429s by route), core's rejections, consumer lag and breakers, open orders per store",
    tag: "admin",
    roles: admin,
    request: { query: OpsSummaryQuery },
    responses: { 200: ok(OpsSummary) },
  },
  {
    method: "put",
    path: "/v1/admin/users/{userId}/roles",
    summary: "Replace a user's roles",
    tag: "admin",
    roles: admin,
    request: { params: UserParams, body: SetRolesBody },
    responses: { 200: ok(UserRolesView) },
  },
  {
    method: "post",
    path: "/v1/admin/api-keys",
    summary: "Issue a scoped partner API key (the secret is shown once)",
    tag: "admin",
    roles: admin,
    request: { body: CreateApiKeyBody },
    responses: { 201: ok(CreatedApiKey, "Created") },
  },
  {
    method: "get",
    path: "/v1/admin/api-keys",
    summary: "List API keys",
    tag: "admin",
    roles: admin,
    responses: { 200: ok(ApiKeyList) },
  },
  {
    method: "delete",
    path: "/v1/admin/api-keys/{keyId}",
    summary: "Revoke an API key",
    tag: "admin",
    roles: admin,
    request: { params: ApiKeyParams },
    responses: { 204: noContent },
  },
  {
    method: "post",
    path: "/v1/admin/auth/keys/rotate",
    summary: "Make a new signing key current; the old one stays published for the grace period",
    tag: "admin",
    roles: admin,
    responses: { 201: ok(undefined, "Rotated") },
  },
  {
    method: "post",
    path: "/v1/deliveries/{orderId}/status",
    summary: "A rider reports progress on an order they carry",
    tag: "deliveries",
    roles: ["rider"],
    request: { params: DeliveryParams, body: DeliveryStatusBody },
    responses: { 200: ok(DeliveryView) },
  },
  {
    method: "post",
    path: "/internal/purge",
    summary: "Core retires cached reads (HMAC-signed with the purge secret, refused outside 30 s)",
    tag: "internal",
    request: { body: PurgeBody },
    responses: { 204: noContent },
  },
  {
    method: "post",
    path: "/internal/orders/{id}/live",
    summary: "Core pushes an order's changes to its live viewers (signed like /internal/purge)",
    tag: "internal",
    request: { params: OrderParams, body: OrderLiveBody },
    responses: { 204: noContent },
  },
  {
    method: "post",
    path: "/internal/jwks/purge",
    summary: "Auth rotated its signing key: the cached JWKS is dropped (signed like /internal/purge)",
    tag: "internal",
    responses: { 204: noContent },
  },
];
