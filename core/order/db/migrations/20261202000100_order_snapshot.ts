import { type Kysely, sql } from "kysely";

// One write per step: the saga row becomes the aggregate's snapshot (the folded order and its version, so a
// step no longer reloads the whole history), and the two projections become one (order_views gains the
// columns `orders` had). Sagas of the old shape (one step at a time) are carried over: finished ones as
// they are, running ones due at once, so the sweeper compensates them under the new shape.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("order_views")
    .addColumn("store_id", "uuid")
    .addColumn("reason", "text")
    .addColumn("total_minor", "bigint")
    .addColumn("currency", "text")
    .addColumn("version", "integer")
    .addColumn("updated_at", "timestamptz")
    .execute();
  await sql`
    update order_views v set store_id = o.store_id, reason = o.reason, total_minor = o.total_minor,
      currency = o.currency, version = o.version, updated_at = o.updated_at
    from orders o where o.order_id = v.order_id`.execute(db);
  await sql`delete from order_views where store_id is null`.execute(db);
  for (const column of ["store_id", "total_minor", "currency", "version", "updated_at"]) {
    await db.schema
      .alterTable("order_views")
      .alterColumn(column, (col) => col.setNotNull())
      .execute();
  }
  await db.schema
    .createIndex("order_views_by_store")
    .on("order_views")
    .columns(["store_id", "status"])
    .execute();
  await db.schema.dropTable("orders").execute();

  await db.schema
    .alterTable("sagas")
    .addColumn("order_state", "jsonb")
    .addColumn("version", "integer")
    .execute();
  await db.schema.alterTable("sagas").dropColumn("attempt").execute();
  await sql`
    update sagas s set
      order_state = v.view || jsonb_build_object('version', v.version, 'deliveryId', s.state->'deliveryId',
        'couponCode', null, 'lines', (select coalesce(jsonb_agg(jsonb_build_object('sku', l->>'sku',
          'quantity', (l->>'quantity')::int, 'unitPriceMinor', (l->'unitPrice'->>'amountMinor')::int)), '[]')
          from jsonb_array_elements(v.view->'lines') l)),
      version = v.version,
      deadline_at = case when s.status = 'RUNNING' then now() else null end,
      state = jsonb_build_object(
        'status', s.state->>'status', 'phase', 0,
        'outstanding', case when s.status = 'RUNNING' then '["RESERVE_STOCK","AUTHORIZE_PAYMENT"]'::jsonb
                            else '[]'::jsonb end,
        'attempt', 0,
        'completed', (select coalesce(jsonb_agg(case done.name when 'CREATE_DELIVERY' then 'ASSIGN_RIDER' else done.name end),
                         '[]')
                      from jsonb_array_elements_text(s.state->'completed') as done(name)),
        'compensated', '[]'::jsonb,
        'cancelRequested', s.state->'cancelRequested', 'reason', s.state->'reason',
        'deliveryId', s.state->'deliveryId', 'etaMinutes', s.state->'etaMinutes',
        'pickedUp', s.state->'pickedUp')
    from order_views v where v.order_id = s.order_id and s.state ? 'step'`.execute(db);
  await sql`delete from sagas where order_state is null`.execute(db);
  await db.schema
    .alterTable("sagas")
    .alterColumn("order_state", (col) => col.setNotNull())
    .execute();
  await db.schema
    .alterTable("sagas")
    .alterColumn("version", (col) => col.setNotNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error("20261202000100_order_snapshot is not reversible: restore the order schema from a backup");
}
