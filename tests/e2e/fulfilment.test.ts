import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import type { OrderLiveEvent, OrderView, PickTaskView, Role } from "@qc/contracts";
import { trackRider } from "../../core/delivery/testing/rider-stream";
import { grpcTarget } from "../../core/shared/runtime/context";
import { type Platform, startPlatform } from "../support/platform";

const admin = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin" as const] };
const storeAt = { lat: 52.47, lng: 13.33 };
const door = { line1: "Rheinstr. 4", lat: 52.478, lng: 13.33 };
const price = { "MILK-1L": 119, "BREAD-SOUR": 349, "PEAR-1KG": 300, "PEAR-XL": 350 } as const;
type Sku = keyof typeof price;

/**
 * An order from checkout to the shopper's door through the edge in workerd, with the real core behind it: the
 * store's staff pick it over RabbitMQ (one line missing, one substituted), the rider picks it up once packed and
 * streams positions over gRPC, and the shopper follows it all on the order's live stream.
 */
describe("fulfilment through the edge: pick, substitute, ride, follow live", () => {
  let platform: Platform;
  const edge: Platform["edge"] = (path, init) => platform.edge(path, init);

  beforeAll(async () => {
    platform = await startPlatform();
  }, 300_000);
  afterAll(() => platform?.stop());

  const ok = async (response: Response | Promise<Response>, what: string) => {
    const answered = await response;
    if (!answered.ok) throw new Error(`${what}: ${answered.status} ${await answered.text()}`);
    return answered;
  };

  /** A user registered and logged in through the edge, given `roles` (for `storeIds`) by an admin first. */
  const signUp = async (roles: Role[], storeIds: string[] = []) => {
    const email = `fulfil-${crypto.randomUUID()}@example.com`;
    const password = "correct horse battery staple";
    // Each person signs up from a device of their own: the credentials limit is per client address.
    const device = { "cf-connecting-ip": `198.51.100.${1 + Math.floor(Math.random() * 250)}` };
    const registered = await ok(
      edge("/v1/auth/register", {
        method: "POST",
        headers: device,
        body: JSON.stringify({ email, password, name: "Kim" }),
      }),
      "register",
    );
    const { userId } = (await registered.json()) as { userId: string };
    if (roles.join() !== "shopper")
      await ok(
        platform.services.auth.call("PUT", `/v1/admin/users/${userId}/roles`, {
          body: { roles, storeIds },
          user: admin,
        }),
        "roles",
      );
    const login = await ok(
      edge("/v1/auth/login", { method: "POST", headers: device, body: JSON.stringify({ email, password }) }),
      "login",
    );
    return { userId, token: ((await login.json()) as { accessToken: string }).accessToken };
  };

  /** A dark store of its own (so its one rider is ours), its SKUs priced and stocked by the operator. */
  const darkStore = async () => {
    const { services } = platform;
    const created = await ok(
      services.catalog.call("POST", "/v1/admin/stores", {
        body: { name: "Schöneberg dark store", location: storeAt, serviceRadiusMeters: 4_000 },
        user: admin,
      }),
      "store",
    );
    const { storeId } = (await created.json()) as { storeId: string };
    for (const [sku, amountMinor] of Object.entries(price)) {
      const body = { price: { amountMinor, currency: "EUR" } };
      await ok(
        services.pricing.call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, { body, user: admin }),
        sku,
      );
      await ok(
        services.inventory.call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, {
          body: { onHand: 10 },
          user: admin,
        }),
        sku,
      );
    }
    return storeId;
  };

  const stock = async (storeId: string, sku: Sku) => {
    const row = await platform.env
      .db("inventory")
      .selectFrom("stock")
      .select(["on_hand", "reserved", "sold"])
      .where("store_id", "=", storeId)
      .where("sku", "=", sku)
      .executeTakeFirstOrThrow();
    return { onHand: row.on_hand, reserved: row.reserved, sold: row.sold };
  };

  const until = async (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await Bun.sleep(100);
    }
  };

  /**
   * The order's live stream as the shopper's browser reads it: every event by its SSE name; `shows(status)`
   * waits for a status change on it, `ended()` says whether the edge closed it.
   */
  const follow = async (orderId: string, token: string) => {
    const response = await edge(`/v1/orders/${orderId}/events`, { token });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events: { event: string; data: OrderLiveEvent }[] = [];
    let closed = false;
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of response.body ?? []) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
          if (data) events.push({ event, data: JSON.parse(data) as OrderLiveEvent });
        }
      }
      closed = true;
    })();
    const shows = (status: OrderLiveEvent["status"]) =>
      until(`${status} on the live stream`, () =>
        events.some((one) => one.event === "order" && one.data.status === status),
      );
    return { events, shows, ended: () => closed };
  };

  it("takes an order from checkout to the door: picked with a line missing and one substituted, ridden, followed live", async () => {
    const storeId = await darkStore();
    const rider = await signUp(["rider"], [storeId]);
    await ok(
      platform.services.delivery.call("POST", `/v1/admin/stores/${storeId}/riders`, {
        body: { name: "Ravi", userId: rider.userId, location: storeAt },
        user: admin,
      }),
      "rider",
    );
    const picker = await signUp(["store_staff"], [storeId]);
    const elsewhere = await signUp(["store_staff"], [crypto.randomUUID()]);
    const shopper = await signUp(["shopper"]);

    // In SKU order, as the picker's list and the order show them.
    const cart: [Sku, number][] = [
      ["BREAD-SOUR", 1],
      ["MILK-1L", 2],
      ["PEAR-1KG", 2],
    ];
    for (const [sku, quantity] of cart)
      await ok(
        edge(`/v1/cart/items/${sku}`, {
          method: "PUT",
          token: shopper.token,
          body: JSON.stringify({ storeId, quantity }),
        }),
        `cart ${sku}`,
      );
    const placed = await edge("/v1/orders", {
      method: "POST",
      token: shopper.token,
      headers: { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
      body: JSON.stringify({
        storeId,
        address: door,
        payment: { token: "tok_visa" },
        allowSubstitutions: true,
      }),
    });
    expect(placed.status).toBe(201);
    const confirmed = (await placed.json()) as OrderView;
    expect(confirmed.status).toBe("CONFIRMED");
    const orderId = confirmed.orderId;
    const live = await follow(orderId, shopper.token);
    await until("the stream's first event", () => live.events.length > 0);

    // The rider cannot take a bag the store has not packed.
    const early = await edge(`/v1/deliveries/${orderId}/status`, {
      method: "POST",
      token: rider.token,
      body: JSON.stringify({ status: "PICKED_UP" }),
    });
    expect(early.status).toBe(409);
    expect(early.headers.get("content-type")).toContain("application/problem+json");
    expect(await early.json()).toMatchObject({ type: "urn:quickcommerce:problem:not_packed" });

    // Staff of another store cannot claim this store's tasks; this store's picker gets the order's.
    const stranger = await edge(`/v1/stores/${storeId}/pick-tasks/next`, { token: elsewhere.token });
    expect(stranger.status).toBe(403);
    let task: PickTaskView | undefined;
    await until("the order's pick task handed out", async () => {
      const next = await edge(`/v1/stores/${storeId}/pick-tasks/next`, { token: picker.token });
      if (next.status === 200) task = (await next.json()) as PickTaskView;
      return task !== undefined;
    });
    expect(task).toMatchObject({ orderId, storeId, allowSubstitutions: true });
    expect(task?.lines.map(({ sku, quantity }) => [sku, quantity])).toEqual(cart);
    // Milk picked in full, the bread missing, both pears missing and replaced by the dearer XL pears.
    const packed = await edge(`/v1/pick-tasks/${task?.taskId}/complete`, {
      method: "POST",
      token: picker.token,
      body: JSON.stringify({
        lines: [
          { sku: "BREAD-SOUR", picked: 0 },
          { sku: "MILK-1L", picked: 2 },
          { sku: "PEAR-1KG", picked: 0, substituteSku: "PEAR-XL" },
        ],
      }),
    });
    expect(packed.status).toBe(200);
    expect(await packed.json()).toMatchObject({ orderId, status: "PACKED" });

    const viewOf = async () =>
      (await (
        await ok(edge(`/v1/orders/${orderId}`, { token: shopper.token }), "order")
      ).json()) as OrderView;
    await until("the order PACKED", async () => (await viewOf()).status === "PACKED");
    const bag = await viewOf();
    // Charged: the milk, the substitutes at the pear's price (never more than the line), not the bread; fees stay.
    const finalMinor =
      2 * price["MILK-1L"] + 2 * price["PEAR-1KG"] + bag.deliveryFee.amountMinor - bag.discount.amountMinor;
    expect(bag.total.amountMinor).toBe(finalMinor);
    expect(bag.total.amountMinor).toBeLessThan(confirmed.total.amountMinor);
    expect(bag.lines).toEqual([
      expect.objectContaining({ sku: "BREAD-SOUR", quantity: 1, picked: 0 }),
      expect.objectContaining({ sku: "MILK-1L", quantity: 2, picked: 2 }),
      expect.objectContaining({
        sku: "PEAR-1KG",
        picked: 0,
        substitute: expect.objectContaining({ sku: "PEAR-XL", quantity: 2 }),
      }),
    ]);

    // The rider takes the bag, rides and reports positions over the gRPC stream; the ETA comes down.
    const report = (status: string) =>
      ok(
        edge(`/v1/deliveries/${orderId}/status`, {
          method: "POST",
          token: rider.token,
          body: JSON.stringify({ status }),
        }),
        status,
      );
    // Each step is on the shopper's stream before the next is reported (a push carries the order as it stands,
    // so a step reported before the last one was pushed could be folded into it).
    await live.shows("PACKED");
    await report("PICKED_UP");
    await live.shows("PICKED_UP");
    await report("OUT_FOR_DELIVERY");
    await live.shows("OUT_FOR_DELIVERY");
    const at = () => new Date().toISOString();
    const { updates } = await trackRider(
      grpcTarget(platform.env.config, "delivery"),
      rider.token,
      [0.002, 0.005, 0.0075].map((north) => ({
        orderId,
        lat: storeAt.lat + north,
        lng: storeAt.lng,
        at: at(),
      })),
      // Delivery keeps one position a second per rider: well apart, so none is dropped as rate_limited.
      1_500,
    );
    expect(updates.map((update) => update.notice)).toEqual([null, null, null]);
    await until(
      "the positions on the live stream",
      () => live.events.filter((e) => e.event === "position").length === 3,
    );
    await report("DELIVERED");
    await until("the stream to end after DELIVERED", () => live.ended());

    // Every step on the stream, in order, then the stream ends; the positions in it with a falling ETA.
    const steps = live.events.filter((e) => e.event === "order").map((e) => e.data.status);
    expect(steps).toEqual(["CONFIRMED", "PACKED", "PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"]);
    const positions = live.events.filter((e) => e.event === "position").map((e) => e.data);
    expect(positions.map((p) => p.etaMinutes)).toEqual(updates.map((update) => update.etaMinutes));
    expect((positions[0]?.etaMinutes ?? 0) > (positions.at(-1)?.etaMinutes ?? 0)).toBe(true);
    expect(positions.map((p) => p.rider?.lat)).toEqual(
      [0.002, 0.005, 0.0075].map((north) => storeAt.lat + north),
    );

    // The card is charged exactly the bag; sold what went out, the missing units back on the shelf.
    const payments = platform.env.db("payment");
    await until("the capture", async () => {
      const intent = await payments
        .selectFrom("payment_intents")
        .select("status")
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      return intent?.status === "CAPTURED";
    });
    const captures = await payments
      .selectFrom("payment_captures as c")
      .innerJoin("payment_intents as i", "i.payment_id", "c.payment_id")
      .select("c.amount_minor")
      .where("i.order_id", "=", orderId)
      .execute();
    expect(captures.map((capture) => Number(capture.amount_minor))).toEqual([finalMinor]);
    expect(await stock(storeId, "MILK-1L")).toEqual({ onHand: 8, reserved: 0, sold: 2 });
    expect(await stock(storeId, "BREAD-SOUR")).toEqual({ onHand: 10, reserved: 0, sold: 0 });
    expect(await stock(storeId, "PEAR-1KG")).toEqual({ onHand: 10, reserved: 0, sold: 0 });
    expect(await stock(storeId, "PEAR-XL")).toEqual({ onHand: 8, reserved: 0, sold: 2 });
  }, 180_000);
});
