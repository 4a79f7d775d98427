/** Where a page of orders ended: the last order's creation time and id. */
export interface OrderCursor {
  createdAt: Date;
  orderId: string;
}

/** An opaque cursor for the next page. */
export const encodeCursor = (cursor: OrderCursor): string =>
  Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.orderId}`).toString("base64url");

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The position a cursor stands for, or null when it was not made by encodeCursor. */
export function decodeCursor(text: string): OrderCursor | null {
  const [at, orderId] = Buffer.from(text, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at ?? "");
  // The id goes into a uuid comparison: anything else is a cursor we never issued (Postgres would refuse it).
  if (!orderId || !UUID.test(orderId) || Number.isNaN(createdAt.getTime())) return null;
  return { createdAt, orderId };
}
