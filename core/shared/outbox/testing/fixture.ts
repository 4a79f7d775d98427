import { join } from "node:path";
import { type AnyMessage, createMessage, topicDeclarations } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus } from "../../bus";
import { createKafkaBus, deleteTopics } from "../../bus/kafka";
import type { MessageHandler } from "../../consumer/runner";
import { createDb, ensureDatabase } from "../../db";
import { migrateSchema } from "../../db/migrate";
import { createLogger, type Logger } from "../../telemetry/logger";
import { enqueue } from "../enqueue";

/** The messaging tests' own database, and the broker they share (override with env). */
export const DATABASE_URL =
  process.env.BACKBONE_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/quickcommerce_backbone_test";
export const BROKERS = (process.env.KAFKA_BROKERS ?? "127.0.0.1:9092").split(",");
export const TOPIC = "cart.events.v1";

/** A throwaway schema (outbox, inbox, effects) and topic prefix on the real database and broker. */
export interface Backbone {
  schema: string;
  topicPrefix: string;
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  /** Another pool on the same schema, e.g. for a second relay or consumer. */
  connect(poolMax?: number): Kysely<any>;
  /** A fresh bus (its own producer and consumers), e.g. for a second consumer instance. */
  newBus(name: string): Bus;
  close(): Promise<void>;
}

export async function startBackbone(name: string): Promise<Backbone> {
  const run = crypto.randomUUID().slice(0, 8);
  const schema = `bb_${name}_${run}`;
  const prefix = `bb-${name}-${run}`;
  await ensureDatabase(DATABASE_URL);
  const pools: Kysely<any>[] = [];
  const buses: Bus[] = [];
  const connect = (poolMax = 4) => {
    const db = createDb<any>({ url: DATABASE_URL, schema, poolMax });
    pools.push(db);
    return db;
  };
  const newBus = (client: string) => {
    const bus = createKafkaBus({ brokers: BROKERS, clientId: `${prefix}-${client}` });
    buses.push(bus);
    return bus;
  };
  const db = connect();
  await migrateSchema(db, schema, join(import.meta.dir, "migrations"));
  const bus = newBus("main");
  // Only the topic under test: every declared topic on every run would load the shared broker for nothing.
  const declared = topicDeclarations(prefix).filter((topic) => topic.name.includes(TOPIC));
  await bus.ensureTopics(declared);
  return {
    schema,
    topicPrefix: prefix,
    db,
    bus,
    logger: createLogger(name, process.env.LOG_LEVEL ?? "silent"),
    connect,
    newBus,
    async close() {
      await Promise.allSettled(buses.map((each) => each.disconnect()));
      await sql`drop schema ${sql.id(schema)} cascade`.execute(db);
      await Promise.allSettled(pools.map((each) => each.destroy()));
      await deleteTopics(
        BROKERS,
        declared.map((topic) => topic.name),
      );
    },
  };
}

const keyIds = new Map<number, string>();
const STORE = "0190c1a0-0000-7000-8000-000000000000";

/** A CartItemSet whose key (subject) is `<user>:<store>` for the `key`-th test user. */
export function messageFor(key: number, quantity = 1): AnyMessage {
  let userId = keyIds.get(key);
  if (!userId) {
    userId = crypto.randomUUID();
    keyIds.set(key, userId);
  }
  return createMessage(
    "CartItemSet",
    { userId, storeId: STORE, sku: "SKU-1", quantity: quantity % 100 },
    { source: "backbone-test", correlationId: "backbone-test" },
  );
}

/** `count` messages spread round-robin over `keys` keys, in creation order. */
export const messagesFor = (count: number, keys: number): AnyMessage[] =>
  Array.from({ length: count }, (_, i) => messageFor(i % keys, i));

/** Writes messages to the outbox, `perTransaction` at a time, each transaction committed. */
export async function enqueueCommitted(db: Kysely<any>, messages: AnyMessage[], perTransaction = 100) {
  for (let i = 0; i < messages.length; i += perTransaction) {
    await db.transaction().execute((trx) => enqueue(trx, ...messages.slice(i, i + perTransaction)));
  }
}

/** A handler whose effect is one `effects` row per message. */
export const recordEffect =
  (handledBy: string): MessageHandler =>
  async (trx, message) => {
    await trx
      .insertInto("effects")
      .values({ message_id: message.id, key: message.subject, handled_by: handledBy })
      .execute();
  };

export interface Effect {
  message_id: string;
  key: string;
  handled_by: string;
}

/** Every effect in the order it was committed. */
export const effects = (db: Kysely<any>): Promise<Effect[]> =>
  db.selectFrom("effects").select(["message_id", "key", "handled_by"]).orderBy("n").execute();

/** Polls until `check` is true or the deadline passes (then throws with `what`). */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Per key, the ids in the order given: to compare with the order they were created in. */
export function idsByKey(items: { key: string; id: string }[]): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const item of items) byKey.set(item.key, [...(byKey.get(item.key) ?? []), item.id]);
  return byKey;
}

/** A relay in a process of its own (`relay-process.ts`) on the backbone's schema, with its RELAY_* `settings`. */
export const spawnRelayProcess = (backbone: Backbone, settings: Record<string, string>) =>
  Bun.spawn([process.execPath, join(import.meta.dir, "relay-process.ts")], {
    env: {
      ...process.env,
      DATABASE_URL,
      RELAY_SCHEMA: backbone.schema,
      KAFKA_BROKERS: BROKERS.join(","),
      TOPIC_PREFIX: backbone.topicPrefix,
      ...settings,
    },
    stdout: "ignore",
    stderr: "inherit",
  });
