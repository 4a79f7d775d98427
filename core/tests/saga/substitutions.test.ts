import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { OrderView, PickTaskView, Role } from "@qc/contracts";
import { type CheckoutWorld, PRICE_MINOR, startCheckoutWorld, terminal } from "../support/checkout-world";
import { waitUntil } from "../support/wait";

const PEAR_MINOR = 3_000;
// The substitute costs more than the pear it stands in for: the shopper pays the pear's price.
const PEAR_XL_MINOR = 3_500;

describe("picking with missing items and substitutes, across the real services", () => {
  let world: CheckoutWorld;
  beforeAll(async () => {
    world = await startCheckoutWorld({ database: "qc_test_substitutions" });
  }, 60_000);
  afterAll(() => world.stop(), 60_000);

  /** A store with apples and pears in stock, a dearer pear to substitute, and one rider. */
  const darkStore = async () => {
    const storeId = await world.seedStore({ sku: "APPLE-1KG", onHand: 5, riders: 1 });
    await world.stockSku(storeId, { sku: "PEAR-1KG", onHand: 5, priceMinor: PEAR_MINOR });
    await world.stockSku(storeId, { sku: "PEAR-XL", onHand: 4, priceMinor: PEAR_XL_MINOR });
    return storeId;
  };

  /** Two apples and two pears, checked out and confirmed; returns the shopper, the order and its picker. */
  const confirmedOrder = async (storeId: string, allowSubstitutions: boolean) => {
    const shopper = await world.shopperWithCart(storeId, "APPLE-1KG", 2);
    const put = await world.call.cart("PUT", "/v1/cart/items/PEAR-1KG", {
      body: { storeId, quantity: 2 },
      user: shopper,
    });
    expect(put.ok).toBe(true);
    const orderId = await world.checkout(shopper, storeId, "tok_visa", { allowSubstitutions });
    expect(await world.awaitStatus(orderId, terminal)).toBe("CONFIRMED");
    const picker = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [storeId] };
    let task: PickTaskView | null = null;
    await waitUntil(async () => {
      const next = await world.call.delivery("GET", `/v1/stores/${storeId}/pick-tasks/next`, {
        user: picker,
      });
      if (next.status === 200) task = (await next.json()) as PickTaskView;
      return task !== null;
    }, "the order's pick task claimed");
    const claimed = task as unknown as PickTaskView;
    expect(claimed).toMatchObject({ orderId, allowSubstitutions });
    const complete = (lines: unknown) =>
      world.call.delivery("POST", `/v1/pick-tasks/${claimed.taskId}/complete`, {
        body: { lines },
        user: picker,
      });
    return { shopper, orderId, complete };
  };

  const viewOf = async (orderId: string, user: { userId: string; roles: Role[] }) =>
    (await (await world.call.order("GET", `/v1/orders/${orderId}`, { user })).json()) as OrderView;

  it("charges the picked lines and a substitute at no more than the original, sells what left, frees what was missing", async () => {
    const storeId = await darkStore();
    const { shopper, orderId, complete } = await confirmedOrder(storeId, true);

    // Picked > ordered is refused, naming the field; nothing is packed or held.
    const tooMany = await complete([
      { sku: "APPLE-1KG", picked: 3 },
      { sku: "PEAR-1KG", picked: 2 },
    ]);
    expect(tooMany.status).toBe(422);
    expect(((await tooMany.json()) as { errors: { path: string }[] }).errors.map((e) => e.path)).toEqual([
      "lines.0.picked",
    ]);
    // A substitute the store has no price for (pricing refuses it over gRPC): 422 naming the field.
    const unpriced = await complete([
      { sku: "APPLE-1KG", picked: 2 },
      { sku: "PEAR-1KG", picked: 1, substituteSku: "PEAR-GOLD" },
    ]);
    expect(unpriced.status).toBe(422);
    expect(((await unpriced.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "lines.1.substituteSku", message: "not sold in this store" },
    ]);
    // More substitutes than the shelf has: 409 naming the field, and the store's stock is as it was.
    await world.stockSku(storeId, { sku: "PEAR-XL", onHand: 1, priceMinor: PEAR_XL_MINOR });
    const short = await complete([
      { sku: "APPLE-1KG", picked: 1 },
      { sku: "PEAR-1KG", picked: 0, substituteSku: "PEAR-XL" },
    ]);
    expect(short.status).toBe(409);
    expect(((await short.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "lines.1.substituteSku", message: "not enough available in this store" },
    ]);
    expect(await world.stock(storeId, "PEAR-XL")).toMatchObject({ onHand: 1, reserved: 0, sold: 0 });
    await world.stockSku(storeId, { sku: "PEAR-XL", onHand: 4, priceMinor: PEAR_XL_MINOR });

    // One apple missing; both pears missing and replaced by two dearer pears.
    const packed = await complete([
      { sku: "APPLE-1KG", picked: 1 },
      { sku: "PEAR-1KG", picked: 0, substituteSku: "PEAR-XL" },
    ]);
    expect(packed.status).toBe(200);
    expect(await world.awaitStatus(orderId, ["PACKED"])).toBe("PACKED");
    // Committed at PACKED: the picked apple and the substitutes sold, the missing apple and pears on the shelf.
    await waitUntil(async () => (await world.stock(storeId, "PEAR-XL")).sold === 2, "the bag committed");
    expect(await world.stock(storeId, "APPLE-1KG")).toMatchObject({
      onHand: 4,
      reserved: 0,
      sold: 1,
      available: 4,
    });
    expect(await world.stock(storeId, "PEAR-1KG")).toMatchObject({
      onHand: 5,
      reserved: 0,
      sold: 0,
      available: 5,
    });
    expect(await world.stock(storeId, "PEAR-XL")).toMatchObject({
      onHand: 2,
      reserved: 0,
      sold: 2,
      available: 2,
    });

    const placed = await viewOf(orderId, shopper);
    const final = PRICE_MINOR + 2 * PEAR_MINOR - placed.discount.amountMinor + placed.deliveryFee.amountMinor;
    expect(placed.total.amountMinor).toBe(final);
    expect(placed.lines).toEqual([
      expect.objectContaining({
        sku: "APPLE-1KG",
        quantity: 2,
        picked: 1,
        lineTotal: { amountMinor: PRICE_MINOR, currency: "INR" },
      }),
      expect.objectContaining({
        sku: "PEAR-1KG",
        quantity: 2,
        picked: 0,
        lineTotal: { amountMinor: 0, currency: "INR" },
        substitute: {
          sku: "PEAR-XL",
          quantity: 2,
          unitPrice: { amountMinor: PEAR_MINOR, currency: "INR" },
          lineTotal: { amountMinor: 2 * PEAR_MINOR, currency: "INR" },
        },
      }),
    ]);

    const rider = { userId: await world.riderOf(orderId), roles: ["rider" as const] };
    for (const status of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"] as const) {
      const moved = await world.call.delivery("POST", `/v1/deliveries/${orderId}/status`, {
        body: { status },
        user: rider,
      });
      expect(moved.status).toBe(200);
      await world.awaitStatus(orderId, [status]);
    }
    await waitUntil(async () => (await world.paymentOf(orderId))?.status === "CAPTURED", "payment captured");
    const payments = world.env.db("payment");
    const capture = await payments
      .selectFrom("payment_captures as c")
      .innerJoin("payment_intents as i", "i.payment_id", "c.payment_id")
      .select("c.amount_minor")
      .where("i.order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    expect(capture.amount_minor).toBe(final);
    // The rest of the authorization went back to the card: nothing held, and the ledger balances.
    expect((await world.ledger()).balanced).toBe(true);
    expect(await world.heldOnCards()).toBe(0);
    expect(await world.stock(storeId, "PEAR-XL")).toMatchObject({ sold: 2 });

    // The shopper was told what changed, through the notifier.
    const told = () =>
      world.env
        .db("delivery")
        .selectFrom("notifications")
        .select("body")
        .where("order_id", "=", orderId)
        .where("kind", "=", "ITEMS_CHANGED")
        .execute();
    await waitUntil(async () => (await told()).length > 0, "the shopper told of the changes");
    expect((await told()).map((row) => row.body)).toEqual([
      "Changes to your order: APPLE-1KG: 1 of 2 not available, not charged; PEAR-1KG: 2 replaced by PEAR-XL",
    ]);
  }, 90_000);

  it("refuses a substitute when the shopper did not opt in, and holds nothing for it", async () => {
    const storeId = await darkStore();
    const { orderId, complete } = await confirmedOrder(storeId, false);
    const refused = await complete([
      { sku: "APPLE-1KG", picked: 2 },
      { sku: "PEAR-1KG", picked: 1, substituteSku: "PEAR-XL" },
    ]);
    expect(refused.status).toBe(422);
    expect(refused.headers.get("content-type")).toContain("application/problem+json");
    expect(((await refused.json()) as { errors: unknown[] }).errors).toEqual([
      { path: "lines.1.substituteSku", message: "the shopper did not allow substitutes" },
    ]);
    expect(await world.stock(storeId, "PEAR-XL")).toMatchObject({ reserved: 0, available: 4 });
    expect(await world.awaitStatus(orderId, ["CONFIRMED"])).toBe("CONFIRMED");
  }, 60_000);
});
