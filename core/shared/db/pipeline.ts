import {
  type Compilable,
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  PostgresDialect,
  type PostgresDialectConfig,
  PostgresDriver,
  type QueryResult,
  type TransactionSettings,
} from "kysely";

/*
 * Pipelining (node-postgres `pipeline: true`: a statement is written without waiting for the answer to the one
 * before). Kysely awaits every statement, so on its own this changes nothing; what it allows is sending two
 * statements in one round trip where the first one's answer is not needed to write the second: a transaction's
 * BEGIN with its first statement, and a write nobody reads back (the outbox rows) with the COMMIT. A round
 * trip is a sleep and a wake-up of a Postgres backend and of the service, which on a loaded machine costs more
 * CPU than the statement itself; this removes two from every transaction that writes messages.
 */

/** How a statement sent ahead reports its failure (a repository's own error, say). */
type ErrorOf = (error: unknown) => unknown;

// Statements written ahead, with how they report a failure: their answer is awaited by the next statement on
// the same connection.
const ahead = new WeakMap<CompiledQuery, ErrorOf>();
const sentAhead = new WeakMap<DatabaseConnection, Promise<unknown>[]>();
const patched = new WeakSet<DatabaseConnection>();

function hold(connection: DatabaseConnection, answer: Promise<unknown>): void {
  // Handled now, so a failure is not reported as unhandled while it waits for the next statement.
  answer.catch(() => {});
  const held = sentAhead.get(connection);
  if (held) held.push(answer);
  else sentAhead.set(connection, [answer]);
}

/** The answers of the statements sent ahead on `connection` (settled), forgetting them. */
async function settleAhead(connection: DatabaseConnection): Promise<PromiseSettledResult<unknown>[]> {
  const held = sentAhead.get(connection);
  if (!held) return [];
  sentAhead.delete(connection);
  return Promise.allSettled(held);
}

/**
 * Makes every statement on `connection` go out at once, then wait for the answers of the statements sent ahead
 * of it: the first failure among them is this statement's failure (the transaction is aborted by then anyway).
 */
function pipelineConnection(connection: DatabaseConnection): void {
  if (patched.has(connection)) return;
  patched.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    const answer = execute<R>(query);
    const errorOf = ahead.get(query);
    if (errorOf) {
      hold(
        connection,
        answer.catch((error) => {
          throw errorOf(error);
        }),
      );
      return { rows: [] };
    }
    const failed = (await settleAhead(connection)).find((one) => one.status === "rejected");
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

  /** BEGIN is sent, not awaited: the transaction's first statement goes out behind it and waits for both. */
  override async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings) {
    hold(connection, super.beginTransaction(connection, settings));
  }

  /** What was sent ahead failed or not, the transaction is undone: the error that ended it is the caller's. */
  override async rollbackTransaction(connection: PostgresConnection) {
    await settleAhead(connection);
    await super.rollbackTransaction(connection);
  }

  override async releaseConnection(connection: PostgresConnection) {
    await settleAhead(connection);
    await super.releaseConnection(connection);
  }
}

/** PostgresDialect over a pool of pipelining clients (`pipeline: true` on the pool's config). */
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
 * Writes `query` in the transaction `trx` without waiting for its answer, which the transaction's next
 * statement (its COMMIT at the latest) waits for: if the write fails, that statement fails with its error and
 * the transaction rolls back. For writes whose result nobody reads. `errorOf` turns a failure into the error
 * that statement throws. Outside a transaction the write is awaited as usual, since no next statement would
 * report its failure.
 */
export async function sendAhead(
  trx: Kysely<any>,
  query: Compilable,
  errorOf: ErrorOf = (error) => error,
): Promise<void> {
  const compiled = query.compile();
  if (trx.isTransaction) ahead.set(compiled, errorOf);
  try {
    await trx.executeQuery(compiled);
  } catch (error) {
    throw errorOf(error);
  }
}
