import {
  type Compilable,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  isCompilable,
  type Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import type pg from "pg";

/*
 * Pipelining (node-postgres `pipeline: true`: a statement is written without waiting for the answer to the one
 * before). Kysely awaits every statement, so on its own this changes nothing; what it allows is sending two
 * statements in one write where the first one's answer is not needed to write the second: a transaction's
 * BEGIN with its first statement, and writes nobody reads back (the outbox rows) with the COMMIT. A round trip
 * is a sleep and a wake-up of a Postgres backend and of the service, which on a loaded machine costs more CPU
 * than the statement itself. A statement sent ahead is held in the connection's socket (corked) until the next
 * statement is written: sent on its own, the backend would wake for it, answer and sleep again before the next
 * one arrived.
 */

/** How a statement sent ahead reports its failure (a repository's own error, say). */
type ErrorOf = (error: unknown) => unknown;

// Statements written ahead, with how they report a failure: their answer is awaited by the next statement on
// the same connection.
const ahead = new WeakMap<CompiledQuery, ErrorOf>();
// Statements read ahead (see readAhead), with who takes their answer once they are written.
const readers = new WeakMap<CompiledQuery, (answer: Promise<QueryResult<unknown>>) => void>();
const sentAhead = new WeakMap<DatabaseConnection, Promise<unknown>[]>();
const patched = new WeakSet<DatabaseConnection>();

// Set while Kysely's connection writes a statement ahead: the pg client it calls (synchronously) then holds the
// statement in its socket instead of writing it out (see holdAheadInSocket).
let writingAhead = false;

function hold(connection: DatabaseConnection, answer: Promise<unknown>): void {
  // Handled now, so a failure is not reported as unhandled while it waits for the next statement.
  answer.catch(() => {});
  const held = sentAhead.get(connection);
  if (held) held.push(answer);
  else sentAhead.set(connection, [answer]);
}

/** The answers of the statements sent ahead on `connection`, forgotten there. */
function takeAhead(connection: DatabaseConnection): Promise<unknown>[] {
  const held = sentAhead.get(connection) ?? [];
  sentAhead.delete(connection);
  return held;
}

/** Runs `write` (which writes one statement, synchronously) as a statement sent ahead. */
function writeAhead<T>(write: () => T): T {
  const outer = writingAhead;
  writingAhead = true;
  try {
    return write();
  } finally {
    writingAhead = outer;
  }
}

/**
 * For every pg client of a pipelined pool (its `connect` event): a statement written ahead stays in the
 * socket's buffer (cork) until the client writes one that is not, and all of them leave in one write.
 */
export function holdAheadInSocket(client: pg.PoolClient): void {
  const stream = (client as unknown as { connection: { stream: { cork(): void; uncork(): void } } })
    .connection.stream;
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  let corked = 0;
  client.query = ((...args: unknown[]) => {
    if (writingAhead) {
      stream.cork();
      corked++;
      return query(...args);
    }
    const answer = query(...args);
    for (; corked > 0; corked--) stream.uncork();
    return answer;
  }) as typeof client.query;
}

/**
 * Makes a statement on `connection` go out, then wait for the answers of the statements sent ahead of it: the
 * first failure among them is this statement's failure (the transaction is aborted by then anyway).
 */
function pipelineConnection(connection: DatabaseConnection): void {
  if (patched.has(connection)) return;
  patched.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const errorOf = ahead.get(query);
    const reader = readers.get(query);
    if (errorOf || reader || writingAhead) {
      const answer = writeAhead(() => execute<R>(query));
      hold(
        connection,
        answer.catch((error) => {
          throw errorOf ? errorOf(error) : error;
        }),
      );
      reader?.(answer);
      return { rows: [] };
    }
    const answer = execute<R>(query);
    const failed = (await Promise.allSettled(takeAhead(connection))).find((one) => one.status === "rejected");
    if (failed) {
      answer.catch(() => {});
      throw failed.reason;
    }
    return answer;
  };
}

// Kysely does not export the connection class its Postgres driver takes.
type PostgresConnection = Parameters<PostgresDriver["releaseConnection"]>[0];

class PipelinedPostgresDriver extends PostgresDriver {
  override async acquireConnection(options?: Parameters<Driver["acquireConnection"]>[0]) {
    const connection = await super.acquireConnection(options);
    pipelineConnection(connection);
    return connection;
  }

  /** BEGIN is sent ahead: it goes out with the transaction's first statement, which waits for both answers. */
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    // The driver writes BEGIN synchronously, as the first thing it does.
    await writeAhead(() => super.beginTransaction(connection, settings));
  }

  /**
   * ROLLBACK takes what was sent ahead out with it, and does not fail for it: the error that ended the
   * transaction is the caller's.
   */
  override async rollbackTransaction(connection: PostgresConnection) {
    const held = takeAhead(connection);
    try {
      await super.rollbackTransaction(connection);
    } finally {
      await Promise.allSettled(held);
    }
  }
}

/**
 * PostgresDialect over a pool of pipelining clients: `pipeline: true` on the pool's config, and
 * `holdAheadInSocket` on each client it connects.
 */
export class PipelinedPostgresDialect extends PostgresDialect {
  readonly #config: PostgresDialectConfig;

  constructor(config: PostgresDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new PipelinedPostgresDriver(this.#config);
  }
}

/**
 * Sends `query` in the transaction `trx` without waiting for its answer: it leaves with the transaction's next
 * statement (its COMMIT at the latest), which waits for that answer too. If the write fails, that statement
 * fails with its error (turned by `errorOf` into the error to throw) and the transaction rolls back. For
 * writes whose result nobody reads. Outside a transaction the write is sent and awaited as usual, since no
 * next statement would report its failure.
 */
export async function sendAhead(
  trx: Kysely<any>,
  query: Compilable | CompiledQuery,
  errorOf: ErrorOf = (error) => error,
): Promise<void> {
  const compiled = isCompilable(query) ? query.compile() : query;
  if (trx.isTransaction) ahead.set(compiled, errorOf);
  try {
    await trx.executeQuery(compiled);
  } catch (error) {
    throw errorOf(error);
  }
}

/**
 * Sends `query` in the transaction `trx` ahead, as sendAhead does, for a statement whose answer is read later:
 * resolves once it is written, to its `answer`, which comes only after a later statement of the transaction that
 * is not sent ahead has gone out (awaiting it before then waits forever). For a run of statements that each
 * need no answer of the ones before: all but the last are read ahead, the last is executed as usual, and every
 * answer is there when it returns. Outside a transaction the statement is sent at once.
 */
export async function readAhead<R>(
  trx: Kysely<any>,
  query: CompiledQuery<R>,
): Promise<{ answer: Promise<QueryResult<R>> }> {
  if (!trx.isTransaction) return { answer: trx.executeQuery(query) };
  let answer: Promise<QueryResult<R>> | undefined;
  readers.set(query, (written) => {
    // Its failure is also the next statement's (see hold): handled here until the reader awaits it.
    written.catch(() => {});
    answer = written as Promise<QueryResult<R>>;
  });
  await trx.executeQuery(query);
  if (!answer) throw new Error("readAhead: the statement was not written ahead (not a pipelined connection)");
  return { answer };
}

/**
 * Runs `statements` in the transaction `trx`, one after another in Postgres, in one round trip: every one but the
 * last is read ahead. For statements that need none of each other's answers; resolves to every answer, in order.
 */
export async function executeEach<R>(
  trx: Kysely<any>,
  statements: readonly CompiledQuery<R>[],
): Promise<QueryResult<R>[]> {
  const answers: Promise<QueryResult<R>>[] = [];
  for (const [index, statement] of statements.entries()) {
    if (index < statements.length - 1) answers.push((await readAhead(trx, statement)).answer);
    else answers.push(trx.executeQuery(statement));
  }
  return Promise.all(answers);
}
