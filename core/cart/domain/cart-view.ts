import type { Availability, CartView, Line, Quote } from "@qc/contracts";

/**
 * The cart as the shopper sees it: each line at the quoted price, marked out of stock when the store has
 * fewer units than the line asks for (or no longer sells it). Without availability (inventory unreachable)
 * lines are not marked for stock.
 */
export function cartView(input: {
  storeId: string;
  lines: Line[];
  quote: Quote | null;
  availability: Availability | null;
  /** SKUs the store no longer prices: shown at 0, out of stock, and left out of the totals. */
  unsold: Set<string>;
  emptyCurrency: string;
}): CartView {
  const { quote, availability } = input;
  const currency = quote?.currency ?? input.emptyCurrency;
  const money = (amountMinor: number) => ({ amountMinor, currency });
  const availableBySku = new Map(availability?.items.map((item) => [item.sku, item.available]));
  const quoted = new Map(quote?.lines.map((line) => [line.sku, line]));

  const lines = input.lines.map((line) => {
    const priced = quoted.get(line.sku);
    const unsold = input.unsold.has(line.sku);
    const available = unsold ? 0 : availableBySku.get(line.sku);
    return {
      sku: line.sku,
      // Names live in catalog; the cart does not call it on every read, so it shows the SKU.
      name: line.sku,
      quantity: line.quantity,
      unitPrice: money(priced?.unitPriceMinor ?? 0),
      lineTotal: money(priced?.lineTotalMinor ?? 0),
      available: available ?? 0,
      outOfStock: unsold || (available !== undefined && available < line.quantity),
    };
  });
  return {
    storeId: input.storeId,
    lines,
    subtotal: money(quote?.subtotalMinor ?? 0),
    deliveryFee: money(quote?.deliveryFeeMinor ?? 0),
    total: money(quote?.totalMinor ?? 0),
    hasOutOfStock: lines.some((line) => line.outOfStock),
    discount: money(quote?.discountMinor ?? 0),
    smallCartFee: money(quote?.smallCartFeeMinor ?? 0),
    surgeFee: money(quote?.surgeFeeMinor ?? 0),
    quote: quote && { token: quote.token, expiresAt: quote.expiresAt },
    availability: availability || input.lines.length === 0 ? "known" : "unknown",
  };
}
