import type { Line } from "@qc/contracts";
import { AppError } from "../../shared/http/errors";

/** Refuses a quantity above the per-SKU limit with a 422 naming the field. */
export function assertWithinLimit(quantity: number, limit: number): void {
  if (quantity > limit)
    throw new AppError(422, "quantity_limit", `At most ${limit} of one item fit in a cart`, [
      { path: "quantity", message: `must be at most ${limit}` },
    ]);
}

/** A guest's lines folded into the account's: quantities of one SKU add up, capped at the limit. */
export function mergeLines(account: Line[], guest: Line[], limit: number): Line[] {
  const merged = new Map(account.map((line) => [line.sku, line.quantity]));
  for (const line of guest)
    merged.set(line.sku, Math.min(limit, (merged.get(line.sku) ?? 0) + line.quantity));
  return [...merged].map(([sku, quantity]) => ({ sku, quantity }));
}

/** Applies one write to a cart's lines, as the write-behind does when Redis lost the cart. */
export function applyWrite(lines: Line[], write: { sku: string; quantity: number } | "clear"): Line[] {
  if (write === "clear") return [];
  const others = lines.filter((line) => line.sku !== write.sku);
  return write.quantity === 0 ? others : [...others, { sku: write.sku, quantity: write.quantity }];
}
