import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type Kysely, sql } from "kysely";
import { type Migration, type MigrationProvider, type MigrationResultSet, Migrator } from "kysely/migration";

const sharedMigrations = join(import.meta.dir, "migrations");

/** Reads timestamp-named migration files from several folders; the shared messaging tables come first. */
class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folders: string[]) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    for (const folder of this.folders) {
      for (const file of (await readdir(folder)).sort()) {
        if (!/^\d{14}_.+\.ts$/.test(file) || file.endsWith(".test.ts")) continue;
        migrations[file.replace(/\.ts$/, "")] = (await import(join(folder, file))) as Migration;
      }
    }
    return migrations;
  }
}

/** Brings one service's schema up to date: its own migrations plus the shared outbox/inbox tables. */
export async function migrateSchema(
  db: Kysely<any>,
  schema: string,
  folder: string,
): Promise<MigrationResultSet> {
  await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db: db.withSchema(schema),
    provider: new FolderMigrationProvider([sharedMigrations, folder]),
    migrationTableSchema: schema,
  });
  const result = await migrator.migrateToLatest();
  if (result.error) throw result.error;
  return result;
}
