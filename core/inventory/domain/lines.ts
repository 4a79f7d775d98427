import type { Line, StockReservationFailedData, UnavailableLine } from "@qc/contracts";

/**
 * One line per SKU (duplicates summed), sorted by SKU: every reservation locks stock rows in the same
 * order, so two multi-line reservations can never deadlock each other.
 */
export function normalizeLines(lines: readonly Line[]): Line[] {
  const bySku = new Map<string, number>();
  for (const line of lines) bySku.set(line.sku, (bySku.get(line.sku) ?? 0) + line.quantity);
  return [...bySku.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/** Why a reservation failed: the lines short of stock, given what is available now (absent = unknown SKU). */
export function shortfall(
  lines: readonly Line[],
  available: ReadonlyMap<string, number>,
  failedSku: string,
): Pick<StockReservationFailedData, "reason" | "unavailable"> {
  const unavailable: UnavailableLine[] = lines
    .map((line) => ({ sku: line.sku, requested: line.quantity, available: available.get(line.sku) ?? 0 }))
    // The line that failed is reported even if a concurrent release made it available since.
    .filter((line) => line.available < line.requested || line.sku === failedSku)
    .map((line) => ({ ...line, available: Math.min(line.available, line.requested - 1) }));
  const unknown = unavailable.some((line) => !available.has(line.sku));
  return { reason: unknown ? "UNKNOWN_SKU" : "OUT_OF_STOCK", unavailable };
}

/** Everything a live reservation holds: its lines and the substitutes held beside them, one line per SKU. */
export const heldLines = (reservation: { lines: readonly Line[]; substitutes: readonly Line[] }) =>
  normalizeLines([...reservation.lines, ...reservation.substitutes]);

/**
 * How a commit splits what a reservation holds: the picked units (substitutes included) are sold, the rest
 * goes back on the shelf. `moves` keeps the held lines' SKU order, the order every reservation locks stock rows
 * in. Never sells more of a SKU than is held: a unit not held was never checked against the shelf.
 */
export function splitHeld(
  held: readonly Line[],
  picked: readonly Line[],
): { sold: Line[]; moves: { line: Line; move: "sell" | "release" }[] } {
  const wanted = new Map(normalizeLines(picked).map((line) => [line.sku, line.quantity]));
  const sold: Line[] = [];
  const moves: { line: Line; move: "sell" | "release" }[] = [];
  for (const { sku, quantity } of held) {
    const selling = Math.min(quantity, wanted.get(sku) ?? 0);
    if (selling > 0) {
      sold.push({ sku, quantity: selling });
      moves.push({ line: { sku, quantity: selling }, move: "sell" });
    }
    if (quantity > selling) moves.push({ line: { sku, quantity: quantity - selling }, move: "release" });
  }
  return { sold, moves };
}
