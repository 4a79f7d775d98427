import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { packOrder } from "../../core/delivery/testing/pack-order";
import { flushTracing, useInMemoryTracing } from "../../core/shared/telemetry/tracing";
import { seedDemoData } from "../../scripts/seed";
import { demoStores, ridersPerStore } from "../../scripts/seed/demo-data";
import { type Platform, startPlatform } from "../support/platform";

// Before any service starts, so every service's tracer also writes here.
const exporter = useInMemoryTracing();
const operator = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin" as const] };
const mitte =
  demoStores[0] ??
  (() => {
    throw new Error("no demo store");
  })();

const hex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");

const serviceOf = (span: ReadableSpan) => String(span.resource.attributes["service.name"]);
const ms = (span: ReadableSpan) => span.duration[0] * 1e3 + span.duration[1] / 1e6;

/** The trace as an indented tree: service, span name, duration; children in start order. */
function spanTree(spans: ReadableSpan[]): string {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : "root";
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (key: string, depth: number) => {
    const level = (children.get(key) ?? []).sort(
      (a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1],
    );
    for (const span of level) {
      lines.push(
        `${"  ".repeat(depth)}${serviceOf(span).padEnd(10)} ${span.name}  ${ms(span).toFixed(1)} ms`,
      );
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk("root", 0);
  return lines.join("\n");
}

describe("one order, one trace", () => {
  let platform: Platform;
  const riderUsers = new Map<string, string>();

  const edge: Platform["edge"] = (path, init) => platform.edge(path, init);

  /** Polls the shopper's view of the order until it reaches `status` (or the deadline passes). */
  const waitForStatus = async (orderId: string, token: string, status: string, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    let seen = "";
    while (Date.now() < deadline) {
      const response = await edge(`/v1/orders/${orderId}`, { token });
      seen = ((await response.json()) as { status: string }).status;
      if (seen === status) return seen;
      await Bun.sleep(250);
    }
    return seen;
  };

  beforeAll(async () => {
    platform = await startPlatform();
    // The demo store's riders are created here with logins, so the one assigned can report progress;
    // seeding then finds the store staffed and adds no riders of its own there.
    const { catalog, delivery } = platform.services;
    expect((await catalog.call("POST", "/v1/admin/stores", { body: mitte, user: operator })).ok).toBe(true);
    for (let index = 0; index < ridersPerStore; index++) {
      const userId = Bun.randomUUIDv7();
      for (let attempt = 0; ; attempt++) {
        const added = await delivery.call("POST", `/v1/admin/stores/${mitte.storeId}/riders`, {
          body: { name: `Traced rider ${index + 1}`, userId },
          user: operator,
        });
        if (added.status === 201) {
          riderUsers.set(((await added.json()) as { riderId: string }).riderId, userId);
          break;
        }
        // 422 until catalog's StoreUpserted has reached delivery.
        if (attempt > 100) throw new Error(`rider not added: ${added.status} ${await added.text()}`);
        await Bun.sleep(300);
      }
    }
    await seedDemoData(platform.env.config);
  }, 300_000);
  afterAll(() => platform?.stop());

  it("follows a checkout from the edge to DELIVERED through one trace across services and Kafka", async () => {
    const email = `traced-${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery staple";
    expect(
      (
        await edge("/v1/auth/register", {
          method: "POST",
          body: JSON.stringify({ email, password, name: "Ada" }),
        })
      ).status,
    ).toBe(201);
    const login = await edge("/v1/auth/login", { method: "POST", body: JSON.stringify({ email, password }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const put = await edge("/v1/cart/items/MILK-1L", {
      method: "PUT",
      token: accessToken,
      body: JSON.stringify({ storeId: mitte.storeId, quantity: 2 }),
    });
    expect(put.status).toBeLessThan(300);

    const traceId = hex(16);
    const placed = await edge("/v1/orders", {
      method: "POST",
      token: accessToken,
      headers: { "idempotency-key": crypto.randomUUID(), traceparent: `00-${traceId}-${hex(8)}-01` },
      body: JSON.stringify({
        storeId: mitte.storeId,
        address: { line1: "Torstr. 1", lat: mitte.location.lat + 0.003, lng: mitte.location.lng },
        payment: { token: "tok_visa" },
      }),
    });
    expect(placed.status).toBe(202);
    const { orderId } = (await placed.json()) as { orderId: string };
    expect(await waitForStatus(orderId, accessToken, "CONFIRMED", 60_000)).toBe("CONFIRMED");

    // The store packs, then the assigned rider reports progress, each from their own request: traces of their own.
    await packOrder(platform.services.delivery.call, platform.env.db("delivery"), orderId);
    const assigned = await platform.env
      .db("delivery")
      .selectFrom("deliveries")
      .select("rider_id")
      .where("order_id", "=", orderId)
      .executeTakeFirstOrThrow();
    const riderUserId = riderUsers.get(assigned.rider_id);
    if (!riderUserId) throw new Error(`order ${orderId} went to a rider this test did not create`);
    for (const status of ["PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]) {
      const reported = await platform.services.delivery.call("POST", `/v1/deliveries/${orderId}/status`, {
        body: { status },
        user: { userId: riderUserId, roles: ["rider"] },
      });
      expect(reported.status).toBe(200);
    }
    expect(await waitForStatus(orderId, accessToken, "DELIVERED", 30_000)).toBe("DELIVERED");
    // The last consumers (notifications, pricing's open orders) handle OrderStatusChanged just after.
    await Bun.sleep(2_000);
    await flushTracing();

    const all = exporter.getFinishedSpans();
    const trace = all.filter((span) => span.spanContext().traceId === traceId);
    console.log(`trace ${traceId} of order ${orderId}: ${trace.length} spans\n${spanTree(trace)}`);

    // Every span about this order, wherever it ran, is in the trace the shopper's request started.
    const aboutOrder = all.filter(
      (span) =>
        span.attributes["messaging.kafka.message.key"] === orderId || span.attributes["order.id"] === orderId,
    );
    expect(aboutOrder.length).toBeGreaterThan(10);
    expect(aboutOrder.filter((span) => span.spanContext().traceId !== traceId).map((s) => s.name)).toEqual(
      [],
    );

    const services = new Set(trace.map(serviceOf));
    for (const service of ["order", "inventory", "payment", "delivery"]) expect(services).toContain(service);
    const kinds = new Set(trace.map((span) => span.kind));
    expect(kinds).toContain(3); // PRODUCER
    expect(kinds).toContain(4); // CONSUMER
    expect(trace.map((span) => span.name)).toEqual(
      expect.arrayContaining([
        "POST /v1/orders",
        "ReserveStock process",
        "AuthorizePayment process",
        "CreateDelivery process",
        "OrderConfirmed publish",
      ]),
    );

    // The rider's DELIVERED report joins the checkout's trace, and the order follows it there.
    const delivered = trace.find(
      (span) => serviceOf(span) === "delivery" && span.attributes["delivery.status"] === "DELIVERED",
    );
    expect(delivered).toBeDefined();
    const followed = trace.find(
      (span) =>
        serviceOf(span) === "order" &&
        span.name === "DeliveryStatusChanged process" &&
        span.parentSpanContext?.spanId !== undefined &&
        trace.some(
          (producer) =>
            producer.spanContext().spanId === span.parentSpanContext?.spanId &&
            producer.parentSpanContext?.spanId === delivered?.spanContext().spanId,
        ),
    );
    expect(followed).toBeDefined();
  }, 180_000);
});
