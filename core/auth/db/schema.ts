import type { Role } from "@qc/contracts";
import type { JWK } from "jose";
import type { ColumnType, Generated, Insertable, Selectable } from "kysely";
import type { MessagingTables } from "../../shared/db/messaging";

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  roles: Role[];
  /** The stores a store_staff member or rider belongs to. */
  store_ids: Generated<string[]>;
  created_at: Generated<Date>;
}

export interface RefreshTokensTable {
  id: string;
  family_id: string;
  user_id: string;
  /** sha256 of the token, hex: a leaked table cannot be replayed. */
  token_hash: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  created_at: Generated<Date>;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: ColumnType<JWK, string, string>;
  /** The private JWK, AES-GCM encrypted with SIGNING_KEY_ENCRYPTION_SECRET. */
  private_jwk_encrypted: string;
  created_at: Generated<Date>;
  /** Set when a newer key took over; the key stays in the JWKS for the grace period after it. */
  retired_at: Date | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  /** sha256 of the secret part, hex. */
  secret_hash: string;
  scopes: string[];
  created_at: Generated<Date>;
  revoked_at: Date | null;
}

/** The auth schema's tables, as Kysely sees them. */
export interface Database extends MessagingTables {
  users: UsersTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  api_keys: ApiKeysTable;
}

export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type RefreshToken = Selectable<RefreshTokensTable>;
export type SigningKey = Selectable<SigningKeysTable>;
export type ApiKey = Selectable<ApiKeysTable>;
