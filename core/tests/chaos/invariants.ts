import { type Kysely, sql } from "kysely";

/** One invariant of design.md §3 and what was found breaking it (empty when it holds). */
export interface InvariantResult {
  invariant: string;
  violations: string[];
}

const SAGA_TERMINAL = ["CONFIRMED", "PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED", "REJECTED", "CANCELLED"];
const CONFIRMED_OR_LATER = ["CONFIRMED", "PICKED_UP", "OUT_FOR_DELIVERY", "DELIVERED"];

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
      where not (i.status = 'AUTHORIZED' and o.status in ('CONFIRMED', 'PICKED_UP', 'OUT_FOR_DELIVERY'))
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
    ledgerInvariant(db),
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
