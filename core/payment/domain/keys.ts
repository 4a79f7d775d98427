/**
 * The payment id of an order when the saga gave none: derived from the order id, so a redelivered
 * AuthorizePayment (after a crash before commit) reuses it, and with it the same idempotency keys.
 */
export function paymentIdFor(orderId: string): string {
  const hex = new Bun.CryptoHasher("sha256").update(`payment:${orderId}`).digest("hex");
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  const variant = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** One idempotency key per operation on a payment: a retry of the same operation repeats its key. */
export const idempotencyKey = (operation: "authorize" | "capture" | "void" | "refund", paymentId: string) =>
  `${operation}:${paymentId}`;
