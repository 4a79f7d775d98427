import type { Compilable, CompiledQuery, QueryCreator } from "kysely";

/*
 * Statements built once per shape. Kysely builds an operation tree and compiles it to SQL for every statement;
 * on core's hot paths (a saga step's one statement with its CTEs) that costs more of the service's CPU than
 * sending the statement. A prepared builder takes all of its values in one argument. The first call of each
 * shape (the argument's keys, array lengths, and where a value is undefined or null) runs the builder with a
 * placeholder in place of every other value, and keeps the compiled SQL and which value each of its parameters
 * is; every later call of that shape only looks its values up. The SQL is the text Kysely writes for those
 * values, so Postgres's prepared statement for it (see createDb) is reused as before. Objects and arrays are
 * shape, not values: a jsonb value is passed as its JSON text.
 */

/**
 * Stands for the value at `path` in a builder's argument: Kysely passes it through as a parameter. A builder
 * that computes with it (stringifies it, does arithmetic) fails on its first call instead of freezing the
 * result into every later one.
 */
class Placeholder {
  constructor(readonly path: readonly (string | number)[]) {}
  [Symbol.toPrimitive](): never {
    throw new Error(
      `a prepared statement computed with its argument at ${this.path.join(".")} ` +
        "(compute values before the call; an object or array meant as one value goes in as its JSON text)",
    );
  }
  toJSON(): never {
    return this[Symbol.toPrimitive]();
  }
}

// Values are what is not a plain object or an array (a Date is a value). An undefined stays undefined, since
// Kysely reads it as "no value" (DEFAULT, a skipped column) rather than as a parameter, and a null stays null,
// since Kysely writes some nulls into the SQL (`is null`); both are part of the shape.
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;

/**
 * What fixes the SQL: keys and array lengths, and where a value is undefined or null. Run on every call, so
 * plain loops and each key prefixed with its length (unambiguous without escaping).
 */
function shapeOf(value: unknown): string {
  if (Array.isArray(value)) {
    let shape = "[";
    for (const item of value) shape += `${shapeOf(item)},`;
    return `${shape}]`;
  }
  if (isRecord(value)) {
    let shape = "{";
    for (const key in value) shape += `${key.length}:${key}${shapeOf(value[key])}`;
    return `${shape}}`;
  }
  return value === undefined ? "u" : value === null ? "n" : "v";
}

/** A copy of `value` with a placeholder for each of its values. */
function placeholders(value: unknown, path: (string | number)[] = []): unknown {
  if (Array.isArray(value)) return value.map((item, index) => placeholders(item, [...path, index]));
  if (isRecord(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, placeholders(item, [...path, key])]),
    );
  return value === undefined || value === null ? value : new Placeholder(path);
}

function at(value: unknown, path: readonly (string | number)[]): unknown {
  let inner = value;
  for (const key of path) inner = (inner as Record<string | number, unknown>)[key];
  return inner;
}

// What is kept per statement is bounded, since row counts are part of a shape: at most 32 shapes, each of at most
// 256 parameters (an entry keeps its operation tree, ≈ 300 bytes per parameter: ≤ 2.5 MB per statement). A
// shape beyond either is built each time, as without this.
const MAX_SHAPES = 32;
const MAX_CACHED_PARAMETERS = 256;

/**
 * A statement whose SQL Kysely writes once per shape of `args` (see above). `build` must use the values in
 * `args` only as values, never compute with them or branch on them: it is run with placeholders. Returns
 * the compiled statement for these values, for `db.executeQuery` or `sendAhead`.
 */
export function prepared<DB, Args extends object, O>(
  build: (db: QueryCreator<DB>, args: Args) => Compilable<O>,
): (db: QueryCreator<DB>, args: Args) => CompiledQuery<O> {
  type Source = readonly (string | number)[] | { constant: unknown };
  const compiled = new Map<string, { query: CompiledQuery<O>; sources: Source[] }>();
  return (db, args) => {
    const shape = shapeOf(args);
    let known = compiled.get(shape);
    if (!known) {
      const query = build(db, placeholders(args) as Args).compile();
      // A parameter that is no placeholder is the builder's own constant (a limit, say): kept as it is.
      const sources = query.parameters.map((parameter) =>
        parameter instanceof Placeholder ? parameter.path : { constant: parameter },
      );
      known = { query, sources };
      if (compiled.size < MAX_SHAPES && sources.length <= MAX_CACHED_PARAMETERS) compiled.set(shape, known);
    }
    return {
      ...known.query,
      parameters: known.sources.map((source) => ("constant" in source ? source.constant : at(args, source))),
    };
  };
}
