import { type Kysely, sql } from "kysely";

// Units a reservation holds for substitutes the picker put in for missing items (held at the pick's
// completion, sold with the picked units when the order commits, released with the reservation otherwise).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("reservations")
    .addColumn("substitutes", "jsonb", (col) => col.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("reservations").dropColumn("substitutes").execute();
}
