import type { Kysely } from "kysely";

// Whether the shopper accepts substitutes for missing items, learned from OrderPlaced with the pick task
// (tasks of orders placed before substitutions existed take none).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable("pick_tasks")
    .addColumn("allow_substitutions", "boolean", (col) => col.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable("pick_tasks").dropColumn("allow_substitutions").execute();
}
