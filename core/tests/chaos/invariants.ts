import { type Kysely, sql } from "kysely";

/** One invariant of design.md §3 and what was found breaking it (empty when it holds). */
export interface InvariantResult {
  invariant: string;
  violations: string[];
}

const HOLDING = ["CONFIRMED", "PACKED", "PICKED_UP", "OUT_FOR_DELIVERY"];
const SAGA_TERMINAL = [...HOLDING, "DELIVERED", "REJECTED", "CANCELLED"];
const CONFIRMED_OR_LATER = [...HOLDING, "DELIVERED"];

type Rows<T> = Promise<{ rows: T[] }>;
const rows = async <T>(query: Rows<T>) => (await query).rows;

/** Stock per (store, SKU) never below zero; reserved + available + sold = received; reserved = open holds. */
export async function stockInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const broken = await rows(
    sql<{
      store_id: string;
      sku: string;
      on_hand: number;
      reserved: number;
      sold: number;
      received: number;
      held: number;
    }>`
      select s.store_id, s.sku, s.on_hand, s.reserved, s.sold, s.received,
             coalesce(sum((line->>'quantity')::int) filter (where r.status = 'RESERVED'), 0)::int as held
      from inventory.stock s
      left join inventory.reservations r on r.store_id = s.store_id
      left join lateral jsonb_array_elements(r.lines::jsonb) line on line->>'sku' = s.sku
      group by s.store_id, s.sku, s.on_hand, s.reserved, s.sold, s.received
      having s.on_hand - s.reserved < 0 or s.reserved < 0 or s.sold < 0
          or s.reserved + (s.on_hand - s.reserved) + s.sold <> s.received
          or s.reserved <> coalesce(sum((line->>'quantity')::int) filter (where r.status = 'RESERVED'), 0)
    `.execute(db),
  );
  return {
    invariant: "no oversold stock: available ≥ 0 and reserved + available + sold = received",
    violations: broken.map(
      (s) =>
        `${s.store_id}/${s.sku}: on_hand ${s.on_hand}, reserved ${s.reserved} (open holds ${s.held}), sold ${s.sold}, received ${s.received}`,
    ),
  };
}

/** Stock is sold (committed at pick-up) only for orders that went out, and held for no finished one. */
export async function soldMatchesOrdersInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const broken = await rows(
    sql<{ order_id: string; reservation: string; status: string | null }>`
      select r.order_id, r.status as reservation, o.status
      from inventory.reservations r left join "order".order_views o on o.order_id = r.order_id
      where (r.status = 'COMMITTED' and (o.status is null or o.status not in (${sql.join(CONFIRMED_OR_LATER)})))
         or (r.status = 'RESERVED' and o.status in ('REJECTED', 'CANCELLED'))
    `.execute(db),
  );
  return {
    invariant: "stock is sold only for confirmed orders and held for no finished one",
    violations: broken.map(
      (r) => `order ${r.order_id} is ${r.status ?? "unknown"} but its stock is ${r.reservation}`,
    ),
  };
}

/** A payment is captured at most once, and only for a delivered order (the amount is final only then). */
export async function captureInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const twice = await rows(
    sql<{ order_id: string; captures: number }>`
      select i.order_id, count(c.payment_id)::int as captures
      from payment.payment_intents i join payment.payment_captures c on c.payment_id = i.payment_id
      group by i.order_id having count(c.payment_id) > 1
    `.execute(db),
  );
  const unconfirmed = await rows(
    sql<{ order_id: string; status: string | null }>`
      select i.order_id, o.status
      from payment.payment_captures c
      join payment.payment_intents i on i.payment_id = c.payment_id
      left join "order".order_views o on o.order_id = i.order_id
      where i.status <> 'REFUNDED' and (o.status is null or o.status <> 'DELIVERED')
    `.execute(db),
  );
  return {
    invariant: "no double capture: at most one capture per order, each for a delivered order",
    violations: [
      ...twice.map((row) => `order ${row.order_id} captured ${row.captures} times`),
      ...unconfirmed.map((row) => `order ${row.order_id} is ${row.status ?? "unknown"} but was captured`),
    ],
  };
}

/** A payment is authorized at most once and captured at most once: one ledger transaction per movement. */
export async function paymentOnceInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const twice = await rows(
    sql<{ payment_id: string; order_id: string | null; movement: string; times: number }>`
      select l.payment_id, i.order_id, l.movement, count(distinct l.txn_id)::int as times
      from payment.ledger_entries l left join payment.payment_intents i on i.payment_id = l.payment_id
      where l.movement in ('AUTHORIZE', 'CAPTURE')
      group by l.payment_id, i.order_id, l.movement having count(distinct l.txn_id) > 1
    `.execute(db),
  );
  return {
    invariant: "no second authorization or capture: each booked once per payment",
    violations: twice.map(
      (row) =>
        `order ${row.order_id ?? "unknown"} (payment ${row.payment_id}): ${row.movement} booked ${row.times} times`,
    ),
  };
}

// Saga facts that may be recorded more than once for an order; every other step, and each order event, once.
const REPEATABLE_STEPS = ["COMPENSATING", "LATE_REPLY_COMPENSATED", "CANCEL_REFUSED"];
// [earlier, later]: an order whose stream holds `later` holds one of `earlier` at a lower version.
const STEP_ORDER: [string[], string][] = [
  [["RESERVE_STOCK_DONE"], "ASSIGN_RIDER_DONE"],
  [["AUTHORIZE_PAYMENT_DONE"], "ASSIGN_RIDER_DONE"],
  [["ASSIGN_RIDER_DONE"], "OrderConfirmed"],
  [["OrderConfirmed"], "OrderPacked"],
  [["OrderConfirmed"], "PICKED_UP"],
  [["OrderConfirmed"], "OUT_FOR_DELIVERY"],
  [["OrderConfirmed"], "DELIVERED"],
  // Stock is committed once the bag is packed, or at pick-up when packing was never reported.
  [["OrderPacked", "PICKED_UP"], "COMMIT_STOCK_DONE"],
  [["DELIVERED"], "CAPTURE_PAYMENT_DONE"],
];

/**
 * Each order's event stream is whole and in order: versions 1..n with OrderPlaced first, the snapshot
 * (sagas) and the projection (order_views) at its last version, no step recorded twice (a reply handled
 * twice), and no step before the one it follows (replies applied out of order).
 */
export async function orderStreamInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const milestones = sql`
    select order_id, version, type,
           case type when 'StepRecorded' then data->>'step' when 'DeliveryProgressed' then data->>'status'
                     else type end as milestone
    from "order".order_events`;
  const broken = await rows(
    sql<{
      order_id: string;
      events: number | null;
      last: number | null;
      view: number | null;
      snapshot: number | null;
    }>`
      with streams as (
        select order_id, count(*)::int as events, max(version) as last,
               bool_and((version = 1) = (type = 'OrderPlaced')) as placed_first
        from "order".order_events group by order_id)
      select order_id, s.events, s.last, v.version as view, g.version as snapshot
      from streams s full join "order".order_views v using (order_id) left join "order".sagas g using (order_id)
      where s.events is distinct from s.last or not coalesce(s.placed_first, false)
         or v.version is distinct from s.last or g.version is distinct from s.last
    `.execute(db),
  );
  const twice = await rows(
    sql<{ order_id: string; milestone: string; times: number }>`
      select order_id, milestone, count(*)::int as times from (${milestones}) m
      where milestone not in (${sql.join(REPEATABLE_STEPS)}) and milestone not like '%\_RETRIED'
      group by order_id, milestone having count(*) > 1
    `.execute(db),
  );
  const rules = sql.join(
    STEP_ORDER.map(([earlier, later]) => sql`(${sql`array[${sql.join(earlier)}]::text[]`}, ${later})`),
  );
  const early = await rows(
    sql<{ order_id: string; earlier: string; later: string }>`
      with m as (${milestones}), rules (earlier, later) as (values ${rules})
      select distinct m.order_id, array_to_string(r.earlier, ' or ') as earlier, r.later
      from rules r join m on m.milestone = r.later
      where not exists (select 1 from m e where e.order_id = m.order_id and e.milestone = any(r.earlier)
                                              and e.version < m.version)
    `.execute(db),
  );
  return {
    invariant: "every order's events whole and in order: versions 1..n, each step once, none early",
    violations: [
      ...broken.map(
        (row) =>
          `order ${row.order_id}: ${row.events ?? 0} events up to version ${row.last ?? "none"}, snapshot at ${row.snapshot ?? "none"}, view at ${row.view ?? "none"}`,
      ),
      ...twice.map((row) => `order ${row.order_id}: ${row.milestone} recorded ${row.times} times`),
      ...early.map((row) => `order ${row.order_id}: ${row.later} without ${row.earlier} before it`),
    ],
  };
}

/**
 * Every ledger transaction balances, and money stays held on a card only for an order on its way (confirmed,
 * not yet delivered, its authorization still open): a rejected, cancelled or delivered order holds nothing.
 */
export async function ledgerInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const unbalanced = await rows(
    sql<{ txn_id: string; debit: number; credit: number }>`
      select txn_id, sum(debit_minor)::bigint as debit, sum(credit_minor)::bigint as credit
      from payment.ledger_entries group by txn_id having sum(debit_minor) <> sum(credit_minor)
    `.execute(db),
  );
  const held = await rows(
    sql<{ currency: string; held: string }>`
      with holds as (
        select l.payment_id, l.currency, sum(l.debit_minor - l.credit_minor) as held
        from payment.ledger_entries l where l.account = 'card_holds'
        group by l.payment_id, l.currency having sum(l.debit_minor - l.credit_minor) <> 0)
      select h.currency, sum(h.held)::bigint as held
      from holds h
      left join payment.payment_intents i on i.payment_id = h.payment_id
      left join "order".order_views o on o.order_id = i.order_id
      where not (i.status = 'AUTHORIZED' and o.status in (${sql.join(HOLDING)}))
         or i.status is null or o.status is null
      group by h.currency
    `.execute(db),
  );
  return {
    invariant: "ledger balanced, nothing held on cards but for orders on their way",
    violations: [
      ...unbalanced.map((t) => `transaction ${t.txn_id}: debit ${t.debit} ≠ credit ${t.credit}`),
      ...held.map((h) => `${h.held} ${h.currency} still held on cards`),
    ],
  };
}

/** Every accepted order reached a terminal state (run once the faults have stopped and deadlines passed). */
export async function terminalInvariant(db: Kysely<unknown>): Promise<InvariantResult> {
  const open = await rows(
    sql<{ order_id: string; status: string }>`
      select order_id, status from "order".order_views where status not in (${sql.join(SAGA_TERMINAL)})
    `.execute(db),
  );
  return {
    invariant: "no order left non-terminal after the faults stop",
    violations: open.map((o) => `order ${o.order_id} is still ${o.status}`),
  };
}

/** Every invariant, each read straight from the services' schemas. */
export async function checkInvariants(db: Kysely<unknown>): Promise<InvariantResult[]> {
  return Promise.all([
    stockInvariant(db),
    soldMatchesOrdersInvariant(db),
    captureInvariant(db),
    paymentOnceInvariant(db),
    ledgerInvariant(db),
    orderStreamInvariant(db),
    terminalInvariant(db),
  ]);
}

/** A report to print: one line per invariant, its violations beneath. */
export function formatReport(results: InvariantResult[]): string {
  return results
    .map((result) =>
      [
        `${result.violations.length === 0 ? "ok  " : "FAIL"} ${result.invariant}`,
        ...result.violations.map((v) => `       ${v}`),
      ].join("\n"),
    )
    .join("\n");
}
