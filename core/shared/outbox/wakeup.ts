import pg from "pg";
import type { Logger } from "../telemetry/logger";

/** The channel the outbox trigger (shared migration 20260101000001) notifies, with the schema as payload. */
export const OUTBOX_CHANNEL = "qc_outbox";

export interface Wakeup {
  /** Resolves on the next commit into the schema's outbox, or after `maxWaitMs`, whichever comes first. */
  wait(maxWaitMs: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Wakes the relay when a transaction that wrote the outbox commits (Postgres LISTEN/NOTIFY). A commit that
 * lands while the relay is busy is remembered, so the next wait returns at once. If the listening
 * connection drops it reconnects; meanwhile the caller's maxWaitMs poll still finds the rows.
 */
export function listenForCommits(options: { url: string; schema: string; logger: Logger }): Wakeup {
  let pending = false;
  let wake: (() => void) | undefined;
  let client: pg.Client | undefined;
  let closed = false;

  const notified = () => {
    pending = true;
    wake?.();
  };

  const connect = async () => {
    while (!closed) {
      const next = new pg.Client({
        connectionString: options.url,
        application_name: `${options.schema}-relay`,
      });
      try {
        next.on("notification", (message) => {
          if (message.payload === options.schema) notified();
        });
        next.on("error", () => {
          if (closed || client !== next) return;
          options.logger.warn("outbox listener lost its connection; reconnecting");
          client = undefined;
          next.end().catch(() => {});
          setTimeout(() => void connect(), 1_000);
        });
        await next.connect();
        await next.query(`listen ${OUTBOX_CHANNEL}`);
        client = next;
        // Rows committed while we were not listening must not wait for the poll.
        notified();
        if (closed) await next.end();
        return;
      } catch (error) {
        next.end().catch(() => {});
        options.logger.warn({ err: error }, "outbox listener could not connect; retrying");
        await Bun.sleep(1_000);
      }
    }
  };
  const connecting = connect();

  return {
    async wait(maxWaitMs) {
      if (!pending) {
        const { promise, resolve } = Promise.withResolvers<void>();
        wake = resolve;
        const timer = setTimeout(resolve, maxWaitMs);
        await promise;
        clearTimeout(timer);
        wake = undefined;
      }
      pending = false;
    },
    async close() {
      closed = true;
      wake?.();
      await connecting;
      await client?.end().catch(() => {});
    },
  };
}

/** A wake-up without LISTEN: the relay simply polls every maxWaitMs. */
export const pollOnly: Wakeup = {
  wait: (maxWaitMs) => Bun.sleep(maxWaitMs),
  close: async () => {},
};
