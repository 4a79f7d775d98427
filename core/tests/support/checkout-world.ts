import type { LedgerBalance, OrderStatus, PlaceOrderBody, Role } from "@qc/contracts";
import type { Kysely } from "kysely";
import type { Database as DeliveryDatabase } from "../../delivery/db/schema";
import { packOrder } from "../../delivery/testing/pack-order";
import type { Database as OrderDatabase } from "../../order/db/schema";
import { services } from "../../services";
import type { ServiceName } from "../../shared/runtime/context";
import { quietPort } from "../../shared/testing/ports";
import { type TestEnvironment, testEnvironment } from "../../shared/testing/service";
import { type SpawnedService, spawnService } from "./spawn-service";

type Caller = { userId: string; roles: Role[]; storeIds?: string[] };
type Call = (
  method: string,
  path: string,
  options?: { body?: unknown; user?: Caller; headers?: Record<string, string> },
) => Promise<Response>;

export const admin: Caller = { userId: "00000000-0000-4000-8000-000000000001", roles: ["admin"] };
export const address = { line1: "12 MG Road", lat: 12.9716, lng: 77.5946 };
export const PRICE_MINOR = 4_900;
export const terminal: OrderStatus[] = ["CONFIRMED", "REJECTED", "CANCELLED", "DELIVERED"];

type Participant = ServiceName;

export interface CheckoutWorld {
  env: TestEnvironment;
  call: Record<Participant, Call>;
  /** Services running as child processes, by name (see spawn): the instance on the environment's port. */
  spawned: Partial<Record<Participant, SpawnedService>>;
  /** Every process of a spawned service (see instances), the one in `spawned` first. */
  replicas: Partial<Record<Participant, SpawnedService[]>>;
  /** Starts one more process of a spawned service on a port of its own; it is ready when this resolves. */
  scaleOut(name: Participant, port?: number): Promise<SpawnedService>;
  orders: Kysely<OrderDatabase>;
  /** A store (known to delivery) with one SKU priced, `onHand` units in stock and `riders` riders waiting. */
  seedStore(options: { sku: string; onHand: number; riders: number }): Promise<string>;
  /** Prices a SKU in a store (PRICE_MINOR unless given) and puts `onHand` units of it on the shelf. */
  stockSku(storeId: string, options: { sku: string; onHand: number; priceMinor?: number }): Promise<void>;
  /** The store's staff pack a confirmed order in full (a rider picks up only a packed bag). */
  pack(orderId: string): Promise<void>;
  /** The user id of the rider delivering an order. */
  riderOf(orderId: string): Promise<string>;
  /** A new shopper with `quantity` of the SKU in their cart at the store. */
  shopperWithCart(storeId: string, sku: string, quantity?: number): Promise<Caller>;
  /** POST /v1/orders (`options` add to the body, e.g. allowSubstitutions); returns the order id. */
  checkout(user: Caller, storeId: string, token?: string, options?: Partial<PlaceOrderBody>): Promise<string>;
  awaitStatus(orderId: string, statuses: OrderStatus[], timeoutMs?: number): Promise<OrderStatus>;
  stock(
    storeId: string,
    sku: string,
  ): Promise<{ onHand: number; reserved: number; sold: number; available: number }>;
  ledger(): Promise<LedgerBalance>;
  /** Money still held on cards (authorized, neither captured nor voided), from the ledger. */
  heldOnCards(): Promise<number>;
  /** What confirmed-but-undelivered orders among these should hold on cards: the sum of their totals. */
  owedHolds(orderIds: string[]): Promise<number>;
  /** The payment intent of an order, if payment saw one. */
  paymentOf(orderId: string): Promise<{ status: string; captures: number } | null>;
  /** Messages an order's service wrote to its outbox about an order (e.g. AuthorizePayment). */
  ordersOutbox(orderId: string, type: string): Promise<number>;
  stop(): Promise<void>;
}

/**
 * The whole core on real Postgres, Redis and Kafka (every service of core/services.ts, each the real
 * service), with helpers to seed a store and check out. Services named in `spawn` run as child processes
 * (`bun core/<svc>/main.ts`) so a test can SIGKILL and restart them; the rest run in this process.
 */
export async function startCheckoutWorld(
  options: {
    env?: Record<string, string>;
    spawn?: Participant[];
    /** Extra environment of a spawned service's process (e.g. its pool size). */
    spawnEnv?: Partial<Record<Participant, Record<string, string>>>;
    /** Processes per spawned service (default 1): the first on the environment's port, the rest on their own. */
    instances?: Partial<Record<Participant, number>>;
    database?: string;
  } = {},
): Promise<CheckoutWorld> {
  const env = await testEnvironment({
    database: options.database ?? "qc_test_saga",
    env: {
      ORDER_SWEEP_INTERVAL_MS: "200",
      PAYMENT_PROVIDER_LATENCY_MS: "5",
      ...options.env,
    },
  });
  const call = {} as Record<Participant, Call>;
  const spawned: Partial<Record<Participant, SpawnedService>> = {};
  const replicas: Partial<Record<Participant, SpawnedService[]>> = {};
  const scaleOut = async (name: Participant, port = quietPort()) => {
    const definition = services.find((service) => service.name === name);
    const running = replicas[name];
    if (!definition || !running) throw new Error(`${name} does not run as a child process`);
    const child = await spawnService(definition, env.config, options.spawnEnv?.[name], { port });
    running.push(child);
    return child;
  };
  for (const definition of services) {
    const name = definition.name;
    if (options.spawn?.includes(name)) {
      const child = await spawnService(definition, env.config, options.spawnEnv?.[name]);
      spawned[name] = child;
      replicas[name] = [child];
      // After the first, which migrated the schema: the others start side by side.
      const more = (options.instances?.[name] ?? 1) - 1;
      await Promise.all(Array.from({ length: more }, () => scaleOut(name)));
      call[name] = (method, path, callOptions) => child.call(method, path, callOptions);
    } else {
      const running = await env.start(definition);
      call[name] = (method, path, callOptions) => running.call(method, path, callOptions);
    }
  }
  const orders = env.db<OrderDatabase>("order");
  const inventory = env.db("inventory");
  const payments = env.db("payment");
  const deliveries = env.db<DeliveryDatabase>("delivery");
  const ledger = async () =>
    (await (await call.payment("GET", "/internal/v1/ledger/balance")).json()) as LedgerBalance;

  const expectOk = async (response: Promise<Response>, what: string) => {
    const answered = await response;
    if (!answered.ok) throw new Error(`${what}: ${answered.status} ${await answered.text()}`);
    return answered;
  };

  const stockSku: CheckoutWorld["stockSku"] = async (storeId, { sku, onHand, priceMinor = PRICE_MINOR }) => {
    const body = { price: { amountMinor: priceMinor, currency: "INR" } };
    await expectOk(
      call.pricing("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, { body, user: admin }),
      "price",
    );
    await expectOk(
      call.inventory("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, { body: { onHand }, user: admin }),
      "stock",
    );
  };

  return {
    env,
    call,
    spawned,
    replicas,
    scaleOut,
    orders,
    async seedStore({ sku, onHand, riders }) {
      const store = {
        name: "Dark store",
        location: { lat: address.lat, lng: address.lng },
        serviceRadiusMeters: 5_000,
      };
      const created = await expectOk(
        call.catalog("POST", "/v1/admin/stores", { body: store, user: admin }),
        "store",
      );
      const { storeId } = (await created.json()) as { storeId: string };
      // No wait for catalog's StoreUpserted: delivery asks catalog for a store it has not heard of yet.
      await stockSku(storeId, { sku, onHand });
      for (let i = 0; i < riders; i++) {
        await expectOk(
          call.delivery("POST", `/v1/admin/stores/${storeId}/riders`, {
            body: { name: `Rider ${i + 1}`, userId: crypto.randomUUID() },
            user: admin,
          }),
          "rider",
        );
      }
      return storeId;
    },
    stockSku,
    pack: (orderId) => packOrder(call.delivery, deliveries, orderId),
    async riderOf(orderId) {
      const row = await deliveries
        .selectFrom("deliveries")
        .innerJoin("riders", "riders.rider_id", "deliveries.rider_id")
        .select("riders.user_id")
        .where("deliveries.order_id", "=", orderId)
        .executeTakeFirstOrThrow();
      if (!row.user_id) throw new Error(`the rider of order ${orderId} has no user`);
      return row.user_id;
    },
    async shopperWithCart(storeId, sku, quantity = 1) {
      const user: Caller = { userId: crypto.randomUUID(), roles: ["shopper"] };
      await expectOk(
        call.cart("PUT", `/v1/cart/items/${sku}`, { body: { storeId, quantity }, user }),
        "cart",
      );
      return user;
    },
    async checkout(user, storeId, token = "tok_visa", options = {}) {
      const response = await expectOk(
        call.order("POST", "/v1/orders", {
          body: { storeId, address, payment: { token }, ...options },
          user,
          headers: { "idempotency-key": crypto.randomUUID() },
        }),
        "checkout",
      );
      return ((await response.json()) as { orderId: string }).orderId;
    },
    async awaitStatus(orderId, statuses, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const row = await orders
          .selectFrom("order_views")
          .select("status")
          .where("order_id", "=", orderId)
          .executeTakeFirst();
        if (row && statuses.includes(row.status)) return row.status;
        if (Date.now() > deadline)
          throw new Error(`order ${orderId} is ${row?.status}, not ${statuses.join("|")}`);
        await Bun.sleep(100);
      }
    },
    async stock(storeId, sku) {
      const row = await inventory
        .selectFrom("stock")
        .select(["on_hand", "reserved", "sold"])
        .where("store_id", "=", storeId)
        .where("sku", "=", sku)
        .executeTakeFirstOrThrow();
      return {
        onHand: row.on_hand,
        reserved: row.reserved,
        sold: row.sold,
        available: row.on_hand - row.reserved,
      };
    },
    ledger,
    async heldOnCards() {
      const holds = (await ledger()).accounts.filter((account) => account.account === "card_holds");
      return holds.reduce((sum, account) => sum + account.balanceMinor, 0);
    },
    async owedHolds(orderIds) {
      if (orderIds.length === 0) return 0;
      const rows = await orders
        .selectFrom("order_views")
        .select("total_minor")
        .where("order_id", "in", orderIds)
        .where("status", "in", ["CONFIRMED", "PICKED_UP", "OUT_FOR_DELIVERY"])
        .execute();
      return rows.reduce((sum, row) => sum + row.total_minor, 0);
    },
    async paymentOf(orderId) {
      const intent = await payments
        .selectFrom("payment_intents")
        .select(["payment_id", "status"])
        .where("order_id", "=", orderId)
        .executeTakeFirst();
      if (!intent) return null;
      const captures = await payments
        .selectFrom("payment_captures")
        .select("payment_id")
        .where("payment_id", "=", intent.payment_id)
        .execute();
      return { status: intent.status, captures: captures.length };
    },
    async ordersOutbox(orderId, type) {
      const rows = await orders
        .selectFrom("outbox")
        .select("id")
        .where("key", "=", orderId)
        .where("type", "=", type)
        .execute();
      return rows.length;
    },
    async stop() {
      await Promise.allSettled(Object.values(replicas).flatMap((all) => all.map((child) => child.stop())));
      await env.stop();
    },
  };
}
