import { type Kysely, sql } from "kysely";
import { eventOf, type StoredEvent } from "../db/event-store";
import { PROJECTIONS, type ProjectionName, writeRows } from "../db/projections";
import type { Database } from "../db/schema";
import { replay } from "../domain/order";

export interface ReplayProgress {
  phase: "rebuild" | "catch-up";
  orders: number;
  total: number;
  ordersPerSecond: number;
}

export interface ReplayOptions {
  /** Swap the rebuilt table in even when it differs from the live one (a changed fold, a repair, a back-fill). */
  replace?: boolean;
  /** Orders folded and written per round trip. */
  batchSize?: number;
  /** How long the swap waits for the live table's lock before giving up (and trying again). */
  lockTimeoutMs?: number;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayOutcome {
  table: string;
  orders: number;
  /** Orders folded again because events were appended while the table was being rebuilt. */
  caughtUp: number;
  /** Rows of the live table the rebuilt one lacks, and rows of the rebuilt one the live one lacks. */
  onlyLive: number;
  onlyRebuilt: number;
  /** Some of the orders whose rows differ (at most 10). */
  differing: string[];
  swapped: boolean;
  /** How long the live table was locked for the last catch-up, the comparison and the swap. */
  lockedMs: number;
  elapsedMs: number;
}

const id = (name: string) => sql.id(name);

/** Folds the given orders from the event store and writes their rows into `table`. */
async function foldInto(
  db: Kysely<Database>,
  name: ProjectionName,
  table: string,
  orderIds: readonly string[],
): Promise<void> {
  if (orderIds.length === 0) return;
  const rows = await db
    .selectFrom("order_events")
    .selectAll()
    .where("order_id", "in", orderIds)
    .orderBy("order_id")
    .orderBy("version")
    .execute();
  const streams = new Map<string, StoredEvent[]>();
  for (const row of rows) {
    const stream = streams.get(row.order_id) ?? [];
    stream.push(eventOf(row));
    streams.set(row.order_id, stream);
  }
  const { rowOf } = PROJECTIONS[name];
  await writeRows(
    db,
    table,
    [...streams].map(([orderId, events]) => rowOf(replay(orderId, events))),
  );
}

/** The orders whose newest event is not what `table` was folded to (appended since, or missing). */
async function behind(db: Kysely<Database>, table: string): Promise<string[]> {
  const { rows } = await sql<{ order_id: string }>`
    select e.order_id from (select order_id, max(version) as version from order_events group by order_id) e
    left join ${id(table)} r on r.order_id = e.order_id
    where r.version is distinct from e.version`.execute(db);
  return rows.map((row) => row.order_id);
}

async function catchUp(
  db: Kysely<Database>,
  name: ProjectionName,
  table: string,
  batchSize: number,
): Promise<number> {
  const stale = await behind(db, table);
  for (let start = 0; start < stale.length; start += batchSize) {
    await foldInto(db, name, table, stale.slice(start, start + batchSize));
  }
  return stale.length;
}

/** How many rows of `left` are not in `right`, and the first orders among them. */
async function rowsOnlyIn(db: Kysely<Database>, left: string, right: string) {
  const { rows } = await sql<{ count: number; sample: string[] | null }>`
    select count(*)::int as count, (array_agg(order_id order by order_id))[1:10]::text[] as sample
    from (select * from ${id(left)} except select * from ${id(right)}) d`.execute(db);
  return { count: rows[0]?.count ?? 0, sample: rows[0]?.sample ?? [] };
}

const isLockTimeout = (error: unknown) => (error as { code?: string }).code === "55P03";

/** The table's indexes by their definition without their own and their table's name. */
async function indexesOf(db: Kysely<Database>, table: string): Promise<Map<string, string>> {
  const { rows } = await sql<{ indexname: string; indexdef: string }>`
    select indexname, indexdef from pg_indexes
    where schemaname = current_schema() and tablename = ${table}`.execute(db);
  return new Map(rows.map((row) => [row.indexdef.replace(/INDEX \S+ ON \S+/, "INDEX ON"), row.indexname]));
}

/**
 * Renames `rebuilt` to `live` and the live table to `<live>_previous` (dropping an earlier one), with
 * their indexes, so the new table carries the names the migrations gave (constraints follow their index).
 */
async function swap(trx: Kysely<Database>, live: string, rebuilt: string): Promise<void> {
  const previous = `${live}_previous`;
  const liveIndexes = await indexesOf(trx, live);
  const rebuiltIndexes = await indexesOf(trx, rebuilt);
  await sql`drop table if exists ${id(previous)}`.execute(trx);
  await sql`alter table ${id(live)} rename to ${id(previous)}`.execute(trx);
  for (const index of liveIndexes.values()) {
    const retired = index.startsWith(live) ? `${previous}${index.slice(live.length)}` : `${index}_previous`;
    await sql`alter index ${id(index)} rename to ${id(retired)}`.execute(trx);
  }
  await sql`alter table ${id(rebuilt)} rename to ${id(live)}`.execute(trx);
  for (const [definition, index] of rebuiltIndexes) {
    const name = liveIndexes.get(definition);
    if (!name) throw new Error(`${rebuilt}: index ${index} has no counterpart in ${live}`);
    await sql`alter index ${id(index)} rename to ${id(name)}`.execute(trx);
  }
}

/**
 * Rebuilds a projection from the event store into a fresh table shaped like the live one, while the service
 * keeps writing the live table: every order is folded with the projection's own row function (upcasters
 * applied as the events are read), events appended meanwhile are caught up, and then, holding the live
 * table's lock (writers and readers wait a moment, nothing fails), the last events are caught up, both
 * tables are compared row for row (EXCEPT both ways) and the rebuilt one is renamed in. The service's
 * statements name the table, so they use the new one from the next statement on (Postgres re-plans prepared
 * statements after the rename). A difference stops the swap unless `replace` says it is expected.
 */
export async function replayProjection(
  db: Kysely<Database>,
  name: ProjectionName,
  options: ReplayOptions = {},
): Promise<ReplayOutcome> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 500;
  const live = PROJECTIONS[name].table;
  const rebuilt = `${live}_rebuild`;
  await sql`drop table if exists ${id(rebuilt)}`.execute(db);
  await sql`create table ${id(rebuilt)} (like ${id(live)} including all)`.execute(db);

  const total = Number(
    (
      await db
        .selectFrom("order_events")
        .select((eb) => eb.fn.countAll().as("count"))
        .where("version", "=", 1)
        .executeTakeFirstOrThrow()
    ).count,
  );
  const report = (phase: ReplayProgress["phase"], orders: number, of: number, since = started) =>
    options.onProgress?.({
      phase,
      orders,
      total: of,
      ordersPerSecond: Math.round(orders / (Math.max(performance.now() - since, 1) / 1000)),
    });
  let orders = 0;
  let after: string | null = null;
  for (;;) {
    let page = db
      .selectFrom("order_events")
      .select("order_id")
      .where("version", "=", 1)
      .orderBy("order_id")
      .limit(batchSize);
    if (after) page = page.where("order_id", ">", after);
    const ids = (await page.execute()).map((row) => row.order_id);
    if (ids.length === 0) break;
    await foldInto(db, name, rebuilt, ids);
    orders += ids.length;
    after = ids[ids.length - 1] ?? null;
    report("rebuild", orders, Math.max(total, orders));
  }

  const catchUpStarted = performance.now();
  const caughtUp = await catchUp(db, name, rebuilt, batchSize);
  report("catch-up", caughtUp, caughtUp, catchUpStarted);
  const lockTimeoutMs = options.lockTimeoutMs ?? 2_000;
  // The lock is asked for with a timeout, so a long transaction on the live table makes the swap wait and
  // try again rather than queue every writer behind it.
  const lockAndSwap = () =>
    db.transaction().execute(async (trx) => {
      await sql`select set_config('lock_timeout', ${`${lockTimeoutMs}ms`}, true)`.execute(trx);
      await sql`lock table ${id(live)} in access exclusive mode`.execute(trx);
      const lockedAt = performance.now();
      const lastCaughtUp = await catchUp(trx, name, rebuilt, batchSize);
      const onlyLive = await rowsOnlyIn(trx, live, rebuilt);
      const onlyRebuilt = await rowsOnlyIn(trx, rebuilt, live);
      const swapped = (onlyLive.count === 0 && onlyRebuilt.count === 0) || options.replace === true;
      if (swapped) await swap(trx, live, rebuilt);
      return {
        lastCaughtUp,
        onlyLive: onlyLive.count,
        onlyRebuilt: onlyRebuilt.count,
        differing: [...new Set([...onlyLive.sample, ...onlyRebuilt.sample])].sort().slice(0, 10),
        swapped,
        lockedMs: performance.now() - lockedAt,
      };
    });
  let locked: Awaited<ReturnType<typeof lockAndSwap>>;
  for (let attempt = 1; ; attempt++) {
    try {
      locked = await lockAndSwap();
      break;
    } catch (error) {
      if (!isLockTimeout(error) || attempt === 5) throw error;
      await Bun.sleep(attempt * 500);
    }
  }
  // Not swapped, the rebuilt table stays for a look at the differences; the next run replaces it.
  const { lastCaughtUp, ...verdict } = locked;
  return {
    table: live,
    orders,
    caughtUp: caughtUp + lastCaughtUp,
    ...verdict,
    elapsedMs: performance.now() - started,
  };
}
