import type { RedisCommand } from "./protocol";

/**
 * Shebang flags Upstash accepts but open-source Redis rejects ("ERR Unexpected flag in script shebang").
 * @upstash/ratelimit starts every script with `#!lua flags=allow-key-locking`.
 */
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

const SHEBANG = /^#!lua(?:[ \t]+flags=([^\n]*))?[ \t]*(?=\n|$)/;

const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex");

/** Drops Upstash-only shebang flags so the script runs on real Redis; other scripts come back unchanged. */
export function toRedisScript(script: string): string {
  const flags = SHEBANG.exec(script)?.[1];
  if (flags === undefined) return script;
  const kept = flags
    .split(",")
    .map((flag) => flag.trim())
    .filter((flag) => flag !== "" && !UPSTASH_ONLY_FLAGS.has(flag));
  const shebang = kept.length > 0 ? `#!lua flags=${kept.join(",")}` : "#!lua";
  return script.replace(SHEBANG, shebang);
}

/**
 * Rewrites script commands for real Redis and keeps EVALSHA working across the rewrite: clients hash the
 * script they sent, Redis caches the rewritten one, so this remembers client sha → Redis sha. An unknown
 * sha passes through untouched and Redis answers NOSCRIPT, which makes clients fall back to EVAL.
 */
export function createScriptTranslator() {
  const redisShaByClientSha = new Map<string, string>();
  const clientShaByRedisSha = new Map<string, string>();

  const rewrite = (script: string): string => {
    const redisScript = toRedisScript(script);
    if (redisScript !== script) {
      const clientSha = sha1(script);
      const redisSha = sha1(redisScript);
      redisShaByClientSha.set(clientSha, redisSha);
      clientShaByRedisSha.set(redisSha, clientSha);
    }
    return redisScript;
  };
  const toRedisSha = (sha: string) => redisShaByClientSha.get(sha.toLowerCase()) ?? sha;

  return {
    /** The command to send to Redis in place of `command`. */
    toRedis(command: RedisCommand): RedisCommand {
      const [name, ...args] = command;
      const upper = name.toUpperCase();
      const sub = args[0]?.toUpperCase();
      if ((upper === "EVAL" || upper === "EVAL_RO") && args[0] !== undefined) {
        return [name, rewrite(args[0]), ...args.slice(1)];
      }
      if ((upper === "EVALSHA" || upper === "EVALSHA_RO") && args[0] !== undefined) {
        return [name, toRedisSha(args[0]), ...args.slice(1)];
      }
      if (upper === "SCRIPT" && sub === "LOAD" && args[1] !== undefined) {
        return [name, args[0] as string, rewrite(args[1]), ...args.slice(2)];
      }
      if (upper === "SCRIPT" && sub === "EXISTS") {
        return [name, args[0] as string, ...args.slice(1).map(toRedisSha)];
      }
      return command;
    },
    /** The reply to give the client: SCRIPT LOAD answers with the sha of the script the client sent. */
    fromRedis(command: RedisCommand, reply: unknown): unknown {
      const isScriptLoad = command[0].toUpperCase() === "SCRIPT" && command[1]?.toUpperCase() === "LOAD";
      if (isScriptLoad && typeof reply === "string") return clientShaByRedisSha.get(reply) ?? reply;
      return reply;
    },
  };
}

export type ScriptTranslator = ReturnType<typeof createScriptTranslator>;
