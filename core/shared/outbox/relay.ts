import { withPrefix } from "@qc/contracts";
import { type Kysely, sql } from "kysely";
import type { Bus } from "../bus";
import type { Stoppable } from "../runtime/context";
import type { Logger } from "../telemetry/logger";

export interface RelayOptions {
  db: Kysely<any>;
  bus: Bus;
  logger: Logger;
  topicPrefix?: string;
  batchSize?: number;
  idleDelayMs?: number;
}

interface OutboxRow {
  seq: number;
  id: string;
  topic: string;
  key: string;
  payload: unknown;
  headers: Record<string, string>;
}

/**
 * Publishes committed outbox rows to the bus in commit order and marks them published. Rows are claimed
 * with FOR UPDATE SKIP LOCKED inside a transaction, so several relays never publish one row concurrently.
 */
export function startRelay(options: RelayOptions): Stoppable {
  const batchSize = options.batchSize ?? 200;
  const idleDelayMs = options.idleDelayMs ?? 50;
  let running = true;

  const publishBatch = async (): Promise<number> =>
    options.db.transaction().execute(async (trx) => {
      const { rows } = await sql<OutboxRow>`
        select seq, id, topic, key, payload, headers from outbox
        where published_at is null order by seq limit ${batchSize} for update skip locked`.execute(trx);
      if (rows.length === 0) return 0;
      await options.bus.publish(
        rows.map((row) => ({
          topic: withPrefix(options.topicPrefix, row.topic),
          key: row.key,
          value: JSON.stringify(row.payload),
          headers: { ...row.headers, "message-id": row.id },
        })),
      );
      await sql`update outbox set published_at = now() where seq = any(${rows.map((row) => row.seq)})`.execute(
        trx,
      );
      return rows.length;
    });

  const loop = (async () => {
    while (running) {
      try {
        const published = await publishBatch();
        if (published < batchSize) await Bun.sleep(idleDelayMs);
      } catch (error) {
        options.logger.warn({ err: error }, "outbox relay failed a batch; retrying");
        await Bun.sleep(1_000);
      }
    }
  })();

  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
