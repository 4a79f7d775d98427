import { afterAll, describe, expect, it } from "bun:test";
import { sql } from "kysely";
import { migrateAll } from "../../migrate";
import { services } from "../../services";
import { loadConfig } from "../config";
import { createDb, dropDatabase } from ".";

const database = `qc_migrate_${crypto.randomUUID().slice(0, 8)}`;
const url = `postgres://postgres@127.0.0.1:5432/${database}`;
// The default config's further databases (inventory's shards) are created beside it, and dropped with it.
const config = loadConfig({ NODE_ENV: "test", DATABASE_URL: url });

describe("migrations", () => {
  afterAll(() => dropDatabase(url, { derived: true }));

  it("apply to an empty database: one schema per service with its outbox and inbox", async () => {
    const applied = await migrateAll(config);
    expect(Object.keys(applied).sort()).toEqual(services.map((service) => service.name).sort());
    for (const names of Object.values(applied)) expect(names).toContain("20260101000000_messaging");

    const db = createDb({ url, schema: "public", poolMax: 1 });
    const { rows } = await sql<{ schema: string; table: string }>`
      select table_schema as schema, table_name as table from information_schema.tables
      where table_name in ('outbox', 'inbox')`.execute(db);
    await db.destroy();
    for (const service of services) {
      expect(rows).toContainEqual({ schema: service.name, table: "outbox" });
      expect(rows).toContainEqual({ schema: service.name, table: "inbox" });
    }
  });

  it("change nothing on a second run", async () => {
    const again = await migrateAll(config);
    for (const names of Object.values(again)) expect(names).toEqual([]);
  });
});
