import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { flushTracing, useInMemoryTracing } from "../../shared/telemetry/tracing";
import { address, type CheckoutWorld, startCheckoutWorld } from "../support/checkout-world";
import { waitUntil } from "../support/wait";

// Every service of the world records its finished spans here, as Zipkin would receive them.
const exporter = useInMemoryTracing();

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

const spanIds = (spans: ReadableSpan[]) => new Set(spans.map((span) => span.spanContext().spanId));
const describeSpan = (span: ReadableSpan) => `${span.resource.attributes["service.name"]}: ${span.name}`;

describe("one order is easy to find", () => {
  let world: CheckoutWorld;
  beforeAll(async () => {
    world = await startCheckoutWorld();
  }, 60_000);
  afterAll(() => world.stop(), 60_000);

  /** A shopper's checkout in a trace the test starts, as the edge would: everything done for it joins it. */
  const tracedCheckout = async (storeId: string) => {
    const shopper = await world.shopperWithCart(storeId, "TEA-100", 1);
    const traceId = hex(16);
    const placed = await world.call.order("POST", "/v1/orders", {
      body: { storeId, address, payment: { token: "tok_visa" } },
      user: shopper,
      headers: { "idempotency-key": crypto.randomUUID(), traceparent: `00-${traceId}-${hex(8)}-01` },
    });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    expect(await world.awaitStatus(orderId, ["CONFIRMED", "REJECTED"])).toBe("CONFIRMED");
    return { traceId, orderId };
  };

  it("finds every span of a checkout, through every service and Kafka hop, by its orderId tag", async () => {
    const storeId = await world.seedStore({ sku: "TEA-100", onHand: 5, riders: 2 });
    const { traceId, orderId } = await tracedCheckout(storeId);

    // The picker's and the rider's requests are traces of their own, and still the same order's work.
    await world.pack(orderId);
    const rider = { userId: await world.riderOf(orderId), roles: ["rider" as const] };
    const pickedUp = await world.call.delivery("POST", `/v1/deliveries/${orderId}/status`, {
      body: { status: "PICKED_UP" },
      user: rider,
    });
    expect(pickedUp.status).toBe(200);
    await waitUntil(async () => (await world.stock(storeId, "TEA-100")).sold === 1, "stock committed");

    // Spans end as relays and consumers finish: wait until the checkout's trace stops growing.
    const ofTrace = () =>
      exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === traceId);
    let seen = -1;
    await waitUntil(async () => {
      await flushTracing();
      await Bun.sleep(300);
      const now = ofTrace().length;
      const settled = now === seen;
      seen = now;
      return settled;
    }, "the checkout's trace to settle");

    // The README's query, `annotationQuery=orderId=<id>`: spans whose orderId tag is the order.
    const byOrderId = exporter.getFinishedSpans().filter((span) => span.attributes.orderId === orderId);
    const checkout = ofTrace();
    const found = spanIds(byOrderId);
    const missing = checkout.filter((span) => !found.has(span.spanContext().spanId)).map(describeSpan);
    expect(missing).toEqual([]);

    // The trace is the whole checkout: the order's own request, the calls it made before the order
    // existed (cart, pricing), and every participant's consumer and producer spans.
    const services = new Set(checkout.map((span) => String(span.resource.attributes["service.name"])));
    for (const service of ["order", "cart", "pricing", "inventory", "payment", "delivery"]) {
      expect({ service, present: services.has(service) }).toEqual({ service, present: true });
    }
    expect(checkout.some((span) => span.name === "POST /v1/orders")).toBe(true);
    expect(checkout.some((span) => span.name === "ReserveStock process")).toBe(true);
    expect(checkout.some((span) => span.name === "AuthorizePayment publish")).toBe(true);

    // The rider's report is a request of its own, found by the same query; the work it causes continues the
    // order's trace (delivery keeps the checkout's trace context), down to committing the stock.
    const ownRequests = byOrderId.filter((span) => span.spanContext().traceId !== traceId);
    expect(ownRequests.map((span) => span.name)).toContain("POST /v1/deliveries/:orderId/status");
    expect(ownRequests.map((span) => span.name)).toContain("POST /v1/pick-tasks/:taskId/complete");
    expect(checkout.map((span) => span.name)).toContain("CommitStock process");

    // Nothing else is tagged with it: another order's checkout carries its own id.
    const other = await world.checkout(await world.shopperWithCart(storeId, "TEA-100", 1), storeId);
    await world.awaitStatus(other, ["CONFIRMED", "REJECTED"]);
    await flushTracing();
    const otherSpans = exporter.getFinishedSpans().filter((span) => span.attributes.orderId === other);
    expect(otherSpans.length).toBeGreaterThan(0);
    expect([...spanIds(otherSpans)].filter((id) => found.has(id))).toEqual([]);
  }, 90_000);

  it("continues the order's trace through RabbitMQ: the pick task's claim and the shopper's notification", async () => {
    const storeId = await world.seedStore({ sku: "TEA-100", onHand: 5, riders: 1 });
    const { traceId, orderId } = await tracedCheckout(storeId);

    // A picker's claim is a request of its own; the item it takes carries the checkout's trace context.
    const picker = { userId: crypto.randomUUID(), roles: ["store_staff" as const], storeIds: [storeId] };
    await waitUntil(
      async () =>
        (await world.call.delivery("GET", `/v1/stores/${storeId}/pick-tasks/next`, { user: picker }))
          .status === 200,
      "the pick task claimed",
    );
    const spanOf = (name: string) =>
      exporter.getFinishedSpans().find((span) => span.name === name && span.attributes.orderId === orderId);
    await waitUntil(async () => {
      await flushTracing();
      return ["PickTask publish", "PickTask process", "ShopperNotification process"].every(spanOf);
    }, "the RabbitMQ spans of the order");

    const published = spanOf("PickTask publish") as ReadableSpan;
    const claimed = spanOf("PickTask process") as ReadableSpan;
    const notified = spanOf("ShopperNotification process") as ReadableSpan;
    for (const span of [published, claimed, notified]) {
      expect({ name: span.name, traceId: span.spanContext().traceId }).toEqual({ name: span.name, traceId });
      expect(span.resource.attributes["service.name"]).toBe("delivery");
    }
    // The claim continues the publish: its parent is the producer span whose traceparent the item carried.
    expect(claimed.parentSpanContext?.spanId).toBe(published.spanContext().spanId);
    expect(claimed.attributes["messaging.system"]).toBe("rabbitmq");
  }, 90_000);
});
