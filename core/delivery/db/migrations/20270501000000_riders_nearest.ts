import { type Kysely, sql } from "kysely";

// The free riders of a store, searchable nearest first (GiST's k-nearest-neighbour scan): the assignment reads
// one row and its neighbours instead of sorting every free rider of the store. The position is the point on
// the unit sphere, so the distance between two is the chord, which orders riders as the great circle does at
// any latitude. `cube` and `btree_gist` (the store id in a GiST index) are trusted extensions of Postgres's
// contrib: the database's owner creates them, no superuser needed. Queries must write the expression exactly
// as here (see riderPosition in ../delivery-repository.ts) for the planner to match the index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists cube with schema public`.execute(db);
  await sql`create extension if not exists btree_gist with schema public`.execute(db);
  await sql`
    create index riders_free_nearest on riders using gist (
      store_id,
      cube(array[cos(radians(lat)) * cos(radians(lng)), cos(radians(lat)) * sin(radians(lng)), sin(radians(lat))])
    ) where status = 'FREE' and active`.execute(db);
  await db.schema.dropIndex("riders_free_by_store").execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex("riders_free_by_store")
    .on("riders")
    .column("store_id")
    .where(sql.ref("status"), "=", "FREE")
    .execute();
  await db.schema.dropIndex("riders_free_nearest").execute();
}
