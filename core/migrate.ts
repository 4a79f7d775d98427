import { services } from "./services";
import { type Config, loadConfig } from "./shared/config";
import { createDb, ensureDatabase } from "./shared/db";
import { migrateSchema } from "./shared/db/migrate";

/** Creates the database if needed and brings every service's schema up to date. */
export async function migrateAll(config: Pick<Config, "DATABASE_URL">): Promise<Record<string, string[]>> {
  await ensureDatabase(config.DATABASE_URL);
  const applied: Record<string, string[]> = {};
  for (const service of services) {
    const db = createDb({ url: config.DATABASE_URL, schema: service.name, poolMax: 1 });
    try {
      const result = await migrateSchema(db, service.name, service.migrations);
      applied[service.name] = (result.results ?? []).map((migration) => migration.migrationName);
    } finally {
      await db.destroy();
    }
  }
  return applied;
}

if (import.meta.main) {
  const applied = await migrateAll(loadConfig());
  for (const [service, names] of Object.entries(applied)) {
    console.log(`${service}: ${names.length === 0 ? "up to date" : `applied ${names.join(", ")}`}`);
  }
}
