/** A Redis command as sent to Redis: name first, every argument a string. */
export type RedisCommand = [string, ...string[]];

/**
 * Commands that change or hold the state of a connection. Requests share one connection (and a
 * transaction owns its own), so these would leak into other requests or break MULTI/EXEC framing.
 */
const CONNECTION_STATE_COMMANDS = new Set([
  "AUTH",
  "HELLO",
  "SELECT",
  "RESET",
  "QUIT",
  "MULTI",
  "EXEC",
  "DISCARD",
  "WATCH",
  "UNWATCH",
  "MONITOR",
  "SUBSCRIBE",
  "PSUBSCRIBE",
  "SSUBSCRIBE",
  "UNSUBSCRIBE",
  "PUNSUBSCRIBE",
  "SUNSUBSCRIBE",
]);

/** A request the client got wrong; answered with HTTP 400 and its message. */
export class BadRequestError extends Error {}

/**
 * Validates one command in Upstash's JSON form (`["SET", "k", 1]`). @upstash/redis sends numbers and
 * booleans unquoted, so those are stringified the way Redis would receive them.
 */
export function toRedisCommand(value: unknown): RedisCommand {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR command must be a non-empty JSON array");
  }
  const parts = value.map((part, index) => {
    if (typeof part === "string") return part;
    if (typeof part === "number" || typeof part === "boolean") return String(part);
    throw new BadRequestError(`ERR argument ${index} must be a string, number or boolean`);
  });
  if (CONNECTION_STATE_COMMANDS.has((parts[0] as string).toUpperCase())) {
    throw new BadRequestError(`ERR command not supported over REST: ${parts[0]}`);
  }
  return parts as RedisCommand;
}

/** Validates a pipeline or transaction body: a non-empty JSON array of commands. */
export function toRedisCommands(value: unknown): RedisCommand[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR pipeline must be a non-empty JSON array of commands");
  }
  return value.map(toRedisCommand);
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/**
 * Shapes a Redis reply for JSON. With `Upstash-Encoding: base64` every string (recursively in arrays) is
 * base64 of its UTF-8 bytes, which keeps control characters and any text safe in JSON; numbers and null
 * stay as they are. Errors nested in a reply (a script returning an error table entry) become their text.
 */
export function encodeReply(reply: unknown, asBase64: boolean): unknown {
  if (reply instanceof Error) return encodeReply(reply.message, asBase64);
  if (typeof reply === "string") return asBase64 ? base64(reply) : reply;
  if (Array.isArray(reply)) return reply.map((item) => encodeReply(item, asBase64));
  return reply ?? null;
}
