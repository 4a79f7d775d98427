import type { Line, PickTaskView } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import { sendAhead } from "../../shared/db/pipeline";
import type { Database, PickTaskRow } from "./schema";

/**
 * An order placed: its task waits for the order's confirmation; a repeat changes nothing. Nothing reads the
 * answer: in a transaction (a gathered batch of placements) the inserts go out without waiting for each other.
 */
export async function insertWaitingTask(
  db: Kysely<Database>,
  task: {
    orderId: string;
    storeId: string;
    userId: string;
    express: boolean;
    allowSubstitutions: boolean;
    lines: Line[];
  },
): Promise<void> {
  await sendAhead(
    db,
    db
      .insertInto("pick_tasks")
      .values({
        task_id: Bun.randomUUIDv7(),
        order_id: task.orderId,
        store_id: task.storeId,
        user_id: task.userId,
        express: task.express,
        allow_substitutions: task.allowSubstitutions,
        lines: JSON.stringify(task.lines) as never,
        status: "WAITING",
      })
      .onConflict((oc) => oc.column("order_id").doNothing()),
  );
}

/** WAITING → QUEUED, once: the rows that moved now (a task queued, packed or cancelled before stays as it is). */
export const queueTasks = (db: Kysely<Database>, orderIds: readonly string[]) =>
  db
    .updateTable("pick_tasks")
    .set({ status: "QUEUED", updated_at: sql`now()` })
    .where("order_id", "in", orderIds)
    .where("status", "=", "WAITING")
    .returningAll()
    .execute();

/** A rejected or cancelled order is not picked; one already packed stays packed. */
export const cancelTask = (db: Kysely<Database>, orderId: string) =>
  db
    .updateTable("pick_tasks")
    .set({ status: "CANCELLED", updated_at: sql`now()` })
    .where("order_id", "=", orderId)
    .where("status", "in", ["WAITING", "QUEUED", "CLAIMED"])
    .execute();

/** The store has packed the order's bag (its pick task is PACKED). */
export async function isPacked(db: Kysely<Database>, orderId: string): Promise<boolean> {
  const packed = await db
    .selectFrom("pick_tasks")
    .select("task_id")
    .where("order_id", "=", orderId)
    .where("status", "=", "PACKED")
    .executeTakeFirst();
  return packed !== undefined;
}

export const markPublished = (db: Kysely<Database>, taskIds: string[]) =>
  db.updateTable("pick_tasks").set({ published_at: sql`now()` }).where("task_id", "in", taskIds).execute();

/** Queued tasks whose work item RabbitMQ has not confirmed for `graceMs` (a crash between commit and publish). */
export const unpublishedTasks = (db: Kysely<Database>, graceMs: number) =>
  db
    .selectFrom("pick_tasks")
    .selectAll()
    .where("status", "=", "QUEUED")
    .where("published_at", "is", null)
    .where("updated_at", "<", sql<Date>`now() - make_interval(secs => ${graceMs / 1000})`)
    .orderBy("updated_at")
    .limit(100)
    .execute();

const selectTask = (db: Kysely<Database>, taskId: string) =>
  db
    .selectFrom("pick_tasks")
    .selectAll()
    .select(sql<boolean>`coalesce(claimed_until <= now(), false)`.as("lapsed"))
    .where("task_id", "=", taskId);

/** The task and whether its claim (if any) has lapsed by the database's clock. */
export const findTask = (db: Kysely<Database>, taskId: string) => selectTask(db, taskId).executeTakeFirst();

/** The task, locked, and whether its claim (if any) has lapsed by the database's clock. */
export const lockTask = (db: Kysely<Database>, taskId: string) =>
  selectTask(db, taskId).forUpdate().executeTakeFirst();

/** The task a picker holds now, if any (a picker holds one at a time). */
export const heldBy = (db: Kysely<Database>, pickerId: string) =>
  db
    .selectFrom("pick_tasks")
    .selectAll()
    .where("picker_id", "=", pickerId)
    .where("status", "=", "CLAIMED")
    .where("claimed_until", ">", sql<Date>`now()`)
    .executeTakeFirst();

export const claimTask = (
  db: Kysely<Database>,
  taskId: string,
  claim: { pickerId: string; claimId: string; visibilityMs: number },
) =>
  db
    .updateTable("pick_tasks")
    .set({
      status: "CLAIMED",
      picker_id: claim.pickerId,
      claim_id: claim.claimId,
      claimed_until: sql`now() + make_interval(secs => ${claim.visibilityMs / 1000})`,
      attempts: sql`attempts + 1`,
      updated_at: sql`now()`,
    })
    .where("task_id", "=", taskId)
    .returningAll()
    .executeTakeFirstOrThrow();

/** A lapsed claim: back to the queue, or given up (DEAD) once it had its attempts. */
export const releaseTask = (db: Kysely<Database>, taskId: string, status: "QUEUED" | "DEAD") =>
  db
    .updateTable("pick_tasks")
    .set({ status, picker_id: null, claim_id: null, claimed_until: null, updated_at: sql`now()` })
    .where("task_id", "=", taskId)
    .execute();

export const packTask = (db: Kysely<Database>, taskId: string, picked: PickTaskRow["picked"]) =>
  db
    .updateTable("pick_tasks")
    .set({ status: "PACKED", picked: JSON.stringify(picked) as never, updated_at: sql`now()` })
    .where("task_id", "=", taskId)
    .returningAll()
    .executeTakeFirstOrThrow();

export async function upsertProduct(db: Kysely<Database>, product: { sku: string; name: string }) {
  await db
    .insertInto("products")
    // The event carries the whole product; delivery keeps only what a picker reads.
    .values({ sku: product.sku, name: product.name })
    .onConflict((oc) => oc.column("sku").doUpdateSet({ name: product.name }))
    .execute();
}

/** The picker's view of a task, with the product names delivery has heard of. */
export async function pickTaskView(db: Kysely<Database>, task: PickTaskRow): Promise<PickTaskView> {
  const names = new Map(
    (
      await db
        .selectFrom("products")
        .select(["sku", "name"])
        .where(
          "sku",
          "in",
          task.lines.map((line) => line.sku),
        )
        .execute()
    ).map((product) => [product.sku, product.name]),
  );
  return {
    taskId: task.task_id,
    orderId: task.order_id,
    storeId: task.store_id,
    express: task.express,
    allowSubstitutions: task.allow_substitutions,
    status: task.status === "PACKED" ? "PACKED" : "CLAIMED",
    lines: task.lines.map((line) => ({ ...line, name: names.get(line.sku) ?? null })),
    claimedUntil: (task.claimed_until ?? task.updated_at).toISOString(),
    attempt: task.attempts,
  };
}
