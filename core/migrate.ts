import { services } from "./services";
import { loadConfig } from "./shared/config";
import { ensureDatabase } from "./shared/db";
import { type MigrationConfig, migrateService } from "./shared/runtime/service";

/** Creates the database if needed and brings every service's schema up to date. */
export async function migrateAll(config: MigrationConfig): Promise<Record<string, string[]>> {
  await ensureDatabase(config.DATABASE_URL);
  const applied: Record<string, string[]> = {};
  for (const service of services) {
    const result = await migrateService(service, config);
    applied[service.name] = (result.results ?? []).map((migration) => migration.migrationName);
  }
  return applied;
}

if (import.meta.main) {
  const applied = await migrateAll(loadConfig());
  for (const [service, names] of Object.entries(applied)) {
    console.log(`${service}: ${names.length === 0 ? "up to date" : `applied ${names.join(", ")}`}`);
  }
}
