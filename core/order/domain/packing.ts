import type { Line, Money, OrderLineView, PackedLine, PricedLine } from "@qc/contracts";

/** What the order charges after packing, as placed-order figures: the amounts shrink, the fees stay. */
export interface PackedAmounts {
  subtotal: Money;
  discount: Money;
  total: Money;
}

/** A substitute's unit price as charged: its own price, never more than the line it stands in for. */
export const substituteUnitPrice = (line: PricedLine, packed: PackedLine) =>
  Math.min(packed.substitute?.unitPriceMinor ?? 0, line.unitPriceMinor);

const packedLineOf = (packed: readonly PackedLine[], sku: string) => packed.find((line) => line.sku === sku);

/**
 * The order's amounts once the store reported the bag: picked units at their line's price, substitutes at no
 * more than it, missing units free. The discount is kept but never above what is charged, the fees stay as
 * placed, and the total never exceeds what was placed (and authorized).
 */
export function packedAmounts(
  order: { lines: readonly PricedLine[]; discount: Money; deliveryFee: Money; total: Money },
  packed: readonly PackedLine[],
): PackedAmounts {
  const money = (amountMinor: number) => ({ amountMinor, currency: order.total.currency });
  const subtotalMinor = order.lines.reduce((sum, line) => {
    const reported = packedLineOf(packed, line.sku);
    if (!reported) return sum + line.unitPriceMinor * line.quantity;
    const substitute = reported.substitute
      ? substituteUnitPrice(line, reported) * reported.substitute.quantity
      : 0;
    return sum + line.unitPriceMinor * reported.picked + substitute;
  }, 0);
  const discountMinor = Math.min(order.discount.amountMinor, subtotalMinor);
  const totalMinor = Math.min(
    order.total.amountMinor,
    subtotalMinor - discountMinor + order.deliveryFee.amountMinor,
  );
  return { subtotal: money(subtotalMinor), discount: money(discountMinor), total: money(totalMinor) };
}

/** What leaves the store with the rider: the picked units and the substitutes (inventory sells these). */
export const goodsOf = (packed: readonly PackedLine[]): Line[] =>
  packed.flatMap((line) => [
    ...(line.picked > 0 ? [{ sku: line.sku, quantity: line.picked }] : []),
    ...(line.substitute ? [{ sku: line.substitute.sku, quantity: line.substitute.quantity }] : []),
  ]);

/** The shopper's view of one line: as ordered until packed, then what was picked and substituted. */
export function lineView(line: PricedLine, currency: string, packed?: readonly PackedLine[]): OrderLineView {
  const money = (amountMinor: number) => ({ amountMinor, currency });
  const unitPrice = money(line.unitPriceMinor);
  const reported = packed && packedLineOf(packed, line.sku);
  if (!reported)
    return {
      sku: line.sku,
      quantity: line.quantity,
      unitPrice,
      lineTotal: money(line.unitPriceMinor * line.quantity),
    };
  const { substitute } = reported;
  const charged = substituteUnitPrice(line, reported);
  return {
    sku: line.sku,
    quantity: line.quantity,
    unitPrice,
    lineTotal: money(line.unitPriceMinor * reported.picked),
    picked: reported.picked,
    ...(substitute && {
      substitute: {
        sku: substitute.sku,
        quantity: substitute.quantity,
        unitPrice: money(charged),
        lineTotal: money(charged * substitute.quantity),
      },
    }),
  };
}
