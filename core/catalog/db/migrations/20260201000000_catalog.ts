import { type Kysely, sql } from "kysely";

// Dark stores, categories, products (with full-text search) and the per-store read model the edge caches.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table stores (
      id uuid primary key,
      name text not null,
      lat double precision not null,
      lng double precision not null,
      service_radius_meters integer not null check (service_radius_meters > 0),
      active boolean not null,
      updated_at timestamptz not null default now()
    )`.execute(db);

  await sql`create table categories (slug text primary key, name text not null)`.execute(db);

  // 'simple' keeps brand names and words as written (no stemming), and prefix queries match partial words.
  await sql`
    create table products (
      sku text primary key,
      name text not null,
      description text,
      brand text,
      unit text,
      category_slug text not null references categories (slug),
      image_url text,
      attributes jsonb not null default '{}'::jsonb,
      active boolean not null,
      updated_at timestamptz not null default now(),
      search tsvector generated always as (
        setweight(to_tsvector('simple', name), 'A') ||
        setweight(to_tsvector('simple', coalesce(brand, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(description, '')), 'C')
      ) stored
    )`.execute(db);
  await sql`create index products_search on products using gin (search)`.execute(db);
  await sql`create index products_category_name on products (category_slug, name, sku)`.execute(db);
  await sql`create index products_name on products (name, sku)`.execute(db);

  // Filled from PriceChanged and StockLevelChanged; *_at hold the event time so late duplicates lose.
  await sql`
    create table store_products (
      store_id uuid not null,
      sku text not null,
      price_minor bigint check (price_minor >= 0),
      currency text,
      price_at timestamptz,
      available integer not null default 0 check (available >= 0),
      stock_at timestamptz,
      primary key (store_id, sku)
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["store_products", "products", "categories", "stores"]) {
    await db.schema.dropTable(table).execute();
  }
}
