import { z } from "zod";

/**
 * Every string a client sends: NUL (U+0000) is refused here, in one place, because Postgres cannot store it
 * in `text` or `jsonb` (22021 / 22P05) and nothing legitimate contains it.
 */
export const text = () =>
  z.string().refine((value) => !value.includes("\u0000"), "must not contain NUL (\\u0000)");

/** Any entity id (users, stores, orders, payments, deliveries, riders). */
export const Id = z.uuid();
export type Id = z.infer<typeof Id>;

export const Sku = z.string().regex(/^[A-Z0-9-]{3,32}$/, "expected 3-32 characters of A-Z, 0-9 or -");
export type Sku = z.infer<typeof Sku>;

export const Email = z.email().max(254);
export const IsoDateTime = z.iso.datetime({ offset: true });

export const LatLng = z.object({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
});
export type LatLng = z.infer<typeof LatLng>;

export const Address = z.object({
  line1: text().trim().min(1).max(200),
  lat: LatLng.shape.lat,
  lng: LatLng.shape.lng,
});
export type Address = z.infer<typeof Address>;

export const Role = z.enum(["shopper", "store_staff", "rider", "admin"]);
export type Role = z.infer<typeof Role>;

export const OrderStatus = z.enum([
  "PENDING",
  "CONFIRMED",
  "PACKED",
  "PICKED_UP",
  "OUT_FOR_DELIVERY",
  "DELIVERED",
  "REJECTED",
  "CANCELLED",
]);
export type OrderStatus = z.infer<typeof OrderStatus>;

/** Statuses an order cannot leave. */
export const terminalOrderStatuses = [
  "DELIVERED",
  "REJECTED",
  "CANCELLED",
] as const satisfies readonly OrderStatus[];
export const isTerminalStatus = (status: string): boolean =>
  (terminalOrderStatuses as readonly string[]).includes(status);

/** The statuses a rider reports after the order is confirmed. */
export const DeliveryStatus = z.enum(["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const RejectReason = z.enum([
  "OUT_OF_STOCK",
  "PAYMENT_DECLINED",
  "PAYMENT_TIMEOUT",
  "NO_RIDER",
  "DELIVERY_FAILED",
  "CANCELLED_BY_SHOPPER",
  "QUOTE_EXPIRED",
  "INTERNAL_ERROR",
]);
export type RejectReason = z.infer<typeof RejectReason>;

/** One SKU and how many of it; the unit of reservations and order lines. */
export const Line = z.object({ sku: Sku, quantity: z.int().min(1).max(999) });
export type Line = z.infer<typeof Line>;

/** Query strings arrive as text: a blank value counts as absent so it is not coerced to 0. */
export function fromQuery<S extends z.ZodType>(schema: S) {
  return z.preprocess(
    (value) => (typeof value === "string" && value.trim() === "" ? undefined : value),
    schema,
  );
}

export const Limit = fromQuery(z.coerce.number().int().min(1).max(100).default(20));
export const Cursor = text().min(1).max(512).optional();
