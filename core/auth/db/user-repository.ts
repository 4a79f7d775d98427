import type { Role } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Database, NewUser, User } from "./schema";

/** Inserts the user unless the email is taken; returns whether it was created. */
export async function insertUserIfAbsent(db: Kysely<Database>, user: NewUser): Promise<boolean> {
  const inserted = await db
    .insertInto("users")
    .values(user)
    .onConflict((conflict) => conflict.expression(sql`lower(email)`).doNothing())
    .returning("id")
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The account for an email, compared case-insensitively. */
export function findUserByEmail(db: Kysely<Database>, email: string): Promise<User | undefined> {
  return db
    .selectFrom("users")
    .selectAll()
    .where(sql<string>`lower(email)`, "=", email.toLowerCase())
    .executeTakeFirst();
}

export function findUserById(db: Kysely<Database>, id: string): Promise<User | undefined> {
  return db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
}

/** Replaces a user's roles and stores; undefined when no such user. */
export async function setUserRoles(
  db: Kysely<Database>,
  id: string,
  roles: Role[],
  storeIds: string[] = [],
): Promise<{ roles: Role[]; storeIds: string[] } | undefined> {
  const row = await db
    .updateTable("users")
    .set({
      roles: sql<Role[]>`${sql.val(roles)}::text[]`,
      store_ids: sql<string[]>`${sql.val(storeIds)}::uuid[]`,
    })
    .where("id", "=", id)
    .returning(["roles", "store_ids"])
    .executeTakeFirst();
  return row && { roles: row.roles, storeIds: row.store_ids };
}
