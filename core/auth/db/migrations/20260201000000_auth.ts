import { type Kysely, sql } from "kysely";

// Accounts, refresh-token families, signing keys and partner API keys.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table users (
      id uuid primary key,
      email text not null,
      name text not null,
      password_hash text not null,
      roles text[] not null,
      created_at timestamptz not null default now()
    )`.execute(db);
  // Emails compare case-insensitively; one account per address.
  await sql`create unique index users_email on users (lower(email))`.execute(db);

  await sql`
    create table refresh_tokens (
      id uuid primary key,
      family_id uuid not null,
      user_id uuid not null references users (id) on delete cascade,
      token_hash text not null unique,
      expires_at timestamptz not null,
      rotated_at timestamptz,
      revoked_at timestamptz,
      created_at timestamptz not null default now()
    )`.execute(db);
  await sql`create index refresh_tokens_family on refresh_tokens (family_id)`.execute(db);

  await sql`
    create table signing_keys (
      kid text primary key,
      alg text not null,
      public_jwk jsonb not null,
      private_jwk_encrypted text not null,
      created_at timestamptz not null default now(),
      retired_at timestamptz
    )`.execute(db);
  // At most one current key, so two instances bootstrapping at once cannot both create one.
  await sql`create unique index signing_keys_one_current on signing_keys ((true)) where retired_at is null`.execute(
    db,
  );

  await sql`
    create table api_keys (
      id uuid primary key,
      name text not null,
      prefix text not null unique,
      secret_hash text not null,
      scopes text[] not null,
      created_at timestamptz not null default now(),
      revoked_at timestamptz
    )`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ["api_keys", "signing_keys", "refresh_tokens", "users"]) {
    await db.schema.dropTable(table).execute();
  }
}
