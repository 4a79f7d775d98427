import type { Kysely } from "kysely";

// The trace context of the CreateDelivery that made a delivery, so the rider's later status reports (their
// own HTTP requests, another trace) can publish DeliveryStatusChanged inside the order's checkout trace.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("deliveries").addColumn("traceparent", "text").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("deliveries").dropColumn("traceparent").execute();
}
