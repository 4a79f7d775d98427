import { z } from "zod";
import { VerifiedApiKey, VerifyApiKeyBody } from "../api/access";
import { RiderView, StoreParams, StoreView, UpsertProductBody, UpsertStoreBody } from "../api/admin";
import { SkuParams } from "../api/catalog";
import { DeliveryParams } from "../api/deliveries";
import { CouponRedemptionRequest, LedgerBalance, Quote, QuoteRequest, SubstituteHold } from "../api/internal";
import { StoreLoadList } from "../api/ops";
import {
  CouponRedemption,
  QuoteVerdict,
  SetStoreFeesBody,
  StoreFeesView,
  VerifyQuoteBody,
} from "../api/pricing";
import { noContent, ok, publicRoutes, SavedProduct } from "./public-routes";
import type { RouteSpec } from "./route";

/** Service-to-service routes under /internal/v1: reachable only inside core, never through the edge. */
export const internalRoutes: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/internal/v1/stores/{storeId}",
    summary: "catalog: a store's location and radius",
    tag: "internal",
    request: { params: StoreParams },
    responses: { 200: ok(StoreView) },
  },
  {
    method: "post",
    path: "/internal/v1/api-keys/verify",
    summary: "auth: whether a presented API key is valid and holds a scope (401 unknown, 403 missing scope)",
    tag: "internal",
    request: { body: VerifyApiKeyBody },
    responses: { 200: ok(VerifiedApiKey) },
  },
  {
    method: "post",
    path: "/internal/v1/quotes",
    summary:
      "pricing: price a cart and sign the result with an expiry (core calls gRPC Pricing/QuoteCart; this is its HTTP baseline)",
    tag: "internal",
    request: { body: QuoteRequest },
    responses: { 200: ok(Quote) },
  },
  {
    method: "post",
    path: "/internal/v1/quotes/verify",
    summary: "pricing: whether a quote token is pricing's and still in time",
    tag: "internal",
    request: { body: VerifyQuoteBody },
    responses: { 200: ok(QuoteVerdict) },
  },
  {
    method: "post",
    path: "/internal/v1/coupons/{code}/redemptions",
    summary: "pricing: redeem a coupon for an order (idempotent per order; 409 when exhausted)",
    tag: "internal",
    request: { params: z.object({ code: z.string().min(1).max(64) }), body: CouponRedemptionRequest },
    responses: { 201: ok(CouponRedemption, "Created") },
  },
  {
    method: "post",
    path: "/internal/v1/reservations/{orderId}/substitutes",
    summary:
      "inventory: the units an order's reservation holds for substitutes become these (409 substitute_unavailable naming lines.<i>.sku)",
    tag: "internal",
    request: { params: DeliveryParams, body: SubstituteHold },
    responses: { 200: ok(SubstituteHold) },
  },
  {
    method: "get",
    path: "/internal/v1/ledger/balance",
    summary: "payment: whether the double-entry ledger balances",
    tag: "internal",
    responses: { 200: ok(LedgerBalance) },
  },
];

/** Routes every core service answers itself (probes and metrics), unsigned and off /v1. */
const operationalRoutes: readonly RouteSpec[] = [
  {
    method: "get",
    path: "/health/live",
    summary: "The process is up",
    tag: "operations",
    responses: { 200: { description: "Live" } },
  },
  {
    method: "get",
    path: "/health/ready",
    summary: "The service's dependencies answer (503 when one does not)",
    tag: "operations",
    responses: { 200: { description: "Ready" }, 503: { description: "Not ready" } },
  },
  {
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    tag: "operations",
    responses: { 200: { description: "Prometheus text exposition" } },
  },
  {
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    tag: "operations",
    responses: { 200: { description: "OpenAPI 3.1 document" } },
  },
];

/** Public routes core serves that the edge does not expose yet. */
const coreOnlyPublicRoutes: readonly RouteSpec[] = [
  {
    method: "put",
    path: "/v1/admin/stores/{storeId}/fees",
    summary: "pricing: set a store's delivery fee",
    tag: "admin",
    roles: ["admin"],
    request: { params: StoreParams, body: SetStoreFeesBody },
    responses: { 200: ok(StoreFeesView) },
  },
  {
    method: "put",
    path: "/v1/admin/stores/{storeId}",
    summary: "catalog: create or replace the store at this id",
    tag: "admin",
    roles: ["admin"],
    request: { params: StoreParams, body: UpsertStoreBody.omit({ storeId: true }) },
    responses: { 200: ok(StoreView) },
  },
  {
    method: "put",
    path: "/v1/admin/products/{sku}",
    summary: "catalog: create or replace the product with this SKU",
    tag: "admin",
    roles: ["admin"],
    request: { params: SkuParams, body: UpsertProductBody.omit({ sku: true }) },
    responses: { 200: ok(SavedProduct) },
  },
  {
    method: "delete",
    path: "/v1/admin/products/{sku}",
    summary: "catalog: remove a product",
    tag: "admin",
    roles: ["admin"],
    request: { params: SkuParams },
    responses: { 204: noContent },
  },
  {
    method: "get",
    path: "/v1/admin/stores/{storeId}/riders",
    summary: "delivery: a store's riders",
    tag: "admin",
    roles: ["admin"],
    request: { params: StoreParams },
    responses: { 200: ok(z.array(RiderView)) },
  },
  {
    method: "get",
    path: "/v1/admin/ops/stores",
    summary:
      "order: per store, the orders not yet finished and their riders' ETA (the edge's dashboard reads it)",
    tag: "admin",
    roles: ["admin"],
    responses: { 200: ok(StoreLoadList) },
  },
];

// The edge's own routes (its health roll-up and cache purge) are not core's.
const edgeOnlyPaths = new Set([
  "/v1/health",
  "/v1/admin/ops/summary",
  "/internal/purge",
  "/internal/jwks/purge",
]);

/** Every route of core: the public /v1 routes the edge forwards, core-only ones, internal and operational. */
export const coreRoutes: readonly RouteSpec[] = [
  ...publicRoutes.filter((route) => !edgeOnlyPaths.has(route.path)),
  ...coreOnlyPublicRoutes,
  ...internalRoutes,
  ...operationalRoutes,
];
