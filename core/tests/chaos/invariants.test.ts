import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { type Kysely, sql } from "kysely";
import { migrateAll } from "../../migrate";
import { loadConfig } from "../../shared/config";
import { createDb, dropDatabase } from "../../shared/db";
import { checkInvariants } from "./invariants";

const url = `postgres://postgres@127.0.0.1:5432/qc_test_invariants_${crypto.randomUUID().slice(0, 8)}`;

describe("the invariant checks", () => {
  let db: Kysely<unknown>;
  beforeAll(async () => {
    await migrateAll(loadConfig({ NODE_ENV: "test", DATABASE_URL: url }));
    db = createDb<unknown>({ url, schema: "public", poolMax: 2 });
  }, 60_000);
  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(url, { derived: true });
  });

  const violationsOf = async (invariant: string) =>
    (await checkInvariants(db)).find((result) => result.invariant.startsWith(invariant))?.violations ?? [];

  it("all hold on empty schemas", async () => {
    expect((await checkInvariants(db)).flatMap((result) => result.violations)).toEqual([]);
  });

  it("find reserved units that no open reservation holds", async () => {
    await sql`insert into inventory.stock (store_id, sku, on_hand, reserved, received, sold)
              values ('00000000-0000-4000-8000-0000000000aa', 'LEAK', 5, 2, 5, 0)`.execute(db);
    expect(await violationsOf("no oversold stock")).toEqual([
      "00000000-0000-4000-8000-0000000000aa/LEAK: on_hand 5, reserved 2 (open holds 0), sold 0, received 5",
    ]);
  });

  it("find an order left pending, and a capture and a sale for an order that was rejected", async () => {
    const orderId = crypto.randomUUID();
    const paymentId = crypto.randomUUID();
    await sql`insert into "order".order_views (order_id, user_id, store_id, status, reason, total_minor, currency,
                version, view, created_at, updated_at)
              values (${orderId}, ${crypto.randomUUID()}, ${crypto.randomUUID()}, 'REJECTED', 'PAYMENT_TIMEOUT',
                100, 'INR', 3, '{}', now(), now()),
                     (${crypto.randomUUID()}, ${crypto.randomUUID()}, ${crypto.randomUUID()}, 'PENDING', null,
                100, 'INR', 1, '{}', now(), now())`.execute(db);
    await sql`insert into payment.payment_intents (payment_id, order_id, status, amount_minor, currency)
              values (${paymentId}, ${orderId}, 'CAPTURED', 100, 'INR')`.execute(db);
    await sql`insert into payment.payment_captures (payment_id, amount_minor, currency, provider_reference)
              values (${paymentId}, 100, 'INR', 'ref-1')`.execute(db);
    await sql`insert into inventory.reservations (order_id, store_id, lines, status, expires_at)
              values (${orderId}, ${crypto.randomUUID()}, '[{"sku":"X","quantity":1}]', 'COMMITTED', now())`.execute(
      db,
    );
    expect(await violationsOf("no double capture")).toEqual([
      `order ${orderId} is REJECTED but was captured`,
    ]);
    expect(await violationsOf("stock is sold only")).toEqual([
      `order ${orderId} is REJECTED but its stock is COMMITTED`,
    ]);
    expect(await violationsOf("no order left non-terminal")).toHaveLength(1);
  });

  it("find money still held on cards", async () => {
    const txn = crypto.randomUUID();
    const paymentId = crypto.randomUUID();
    // payment's balance trigger reads ledger_entries unqualified, as its own service does with its search_path.
    await db.transaction().execute(async (trx) => {
      await sql`set local search_path to payment`.execute(trx);
      await sql`insert into ledger_entries (txn_id, payment_id, movement, account, currency, debit_minor, credit_minor)
                values (${txn}, ${paymentId}, 'authorize', 'card_holds', 'INR', 250, 0),
                       (${txn}, ${paymentId}, 'authorize', 'held_for_orders', 'INR', 0, 250)`.execute(trx);
    });
    expect(await violationsOf("ledger balanced")).toEqual(["250 INR still held on cards"]);
  });

  it("find a payment authorized twice", async () => {
    const paymentId = crypto.randomUUID();
    await db.transaction().execute(async (trx) => {
      await sql`set local search_path to payment`.execute(trx);
      for (const txn of [crypto.randomUUID(), crypto.randomUUID()])
        await sql`insert into ledger_entries (txn_id, payment_id, movement, account, currency, debit_minor, credit_minor)
                  values (${txn}, ${paymentId}, 'AUTHORIZE', 'card_holds', 'INR', 100, 0),
                         (${txn}, ${paymentId}, 'AUTHORIZE', 'held_for_orders', 'INR', 0, 100)`.execute(trx);
    });
    expect(await violationsOf("no second authorization")).toEqual([
      `order unknown (payment ${paymentId}): AUTHORIZE booked 2 times`,
    ]);
  });

  it("find an order's events with a gap, a step recorded twice and a step before the one it follows", async () => {
    const [gap, twice] = [crypto.randomUUID(), crypto.randomUUID()];
    const events = (orderId: string, types: [number, string, string | null][]) =>
      sql`insert into "order".order_events (order_id, version, type, data) values ${sql.join(
        types.map(
          ([version, type, step]) => sql`(${orderId}, ${version}, ${type}, ${JSON.stringify({ step })})`,
        ),
      )}`.execute(db);
    await events(gap, [
      [1, "OrderPlaced", null],
      [3, "StepRecorded", "RESERVE_STOCK_DONE"],
    ]);
    await events(twice, [
      [1, "OrderPlaced", null],
      [2, "StepRecorded", "AUTHORIZE_PAYMENT_DONE"],
      [3, "StepRecorded", "AUTHORIZE_PAYMENT_DONE"],
      [4, "OrderConfirmed", null],
    ]);
    // Orders of the tests above (views without events) are found too; these two are about their streams.
    const ours = (await violationsOf("every order's events")).filter(
      (violation) => violation.includes(gap) || violation.includes(twice),
    );
    expect(ours.sort()).toEqual(
      [
        `order ${gap}: 2 events up to version 3, snapshot at none, view at none`,
        `order ${twice}: 4 events up to version 4, snapshot at none, view at none`,
        `order ${twice}: AUTHORIZE_PAYMENT_DONE recorded 2 times`,
        `order ${twice}: OrderConfirmed without ASSIGN_RIDER_DONE before it`,
      ].sort(),
    );
  });
});
