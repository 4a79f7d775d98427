/**
 * A Postgres tsquery matching every word of the shopper's text as a prefix ("ban mil" → "ban:* & mil:*").
 * Only letters and digits get through, so the text cannot inject tsquery operators. Null when nothing is left.
 */
export function prefixTsQuery(text: string): string | null {
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu);
  if (!words) return null;
  return words.map((word) => `${word}:*`).join(" & ");
}

/** The opaque page cursor: the SKU of the last item shown. */
export const encodeCursor = (sku: string): string => Buffer.from(sku).toString("base64url");

/** The SKU inside a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): string | null {
  const sku = Buffer.from(cursor, "base64url").toString();
  return /^[A-Z0-9-]{3,32}$/.test(sku) ? sku : null;
}
