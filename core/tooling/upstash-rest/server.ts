/**
 * Local Upstash REST server over the machine's real Redis (development and tests only).
 *
 * Why: the edge Worker rate-limits with @upstash/ratelimit over @upstash/redis, which speak Upstash's REST
 * protocol over HTTP rather than RESP. No Upstash exists locally, so this translates that protocol onto
 * the Redis on 127.0.0.1:6379. Run it with `bun core/tooling/upstash-rest/main.ts` (env UPSTASH_PORT,
 * REDIS_URL, UPSTASH_TOKEN) and point UPSTASH_REDIS_REST_URL / _TOKEN at it.
 *
 * What it covers (the parts of the protocol @upstash/redis 1.39 uses):
 * - `POST /` with a JSON command `["SET","k","v"]` → `{"result": ...}`; the path form `/set/k/v` too
 *   (GET or POST; a non-empty POST body becomes the last argument).
 * - `POST /pipeline` with `[[...], ...]` → `[{"result": ...} | {"error": "..."}]`, in order.
 * - `POST /multi-exec`, same shape, run atomically as MULTI/EXEC on a connection of its own.
 * - `Upstash-Encoding: base64` (the client's default): every string in a result is base64 of its UTF-8.
 * - `Authorization: Bearer <token>` required, else 401 `{"error":"Unauthorized"}`.
 * - Redis errors and malformed bodies → 400 `{"error": "<message>"}` (e.g. NOSCRIPT, which makes
 *   @upstash/ratelimit fall back from EVALSHA to EVAL); Redis unreachable → 502.
 * - Scripts: @upstash/ratelimit's scripts carry the Upstash-only shebang flag `allow-key-locking`, which
 *   Redis 7 rejects; it is stripped, and EVALSHA / SCRIPT LOAD / SCRIPT EXISTS keep using the client's sha.
 *
 * Not covered: connection-state commands (SELECT, WATCH, SUBSCRIBE, ... → 400), streaming endpoints,
 * read-your-writes sync tokens (one Redis, so nothing to sync), and non-UTF-8 binary values (Bun's client
 * decodes bulk strings as UTF-8; @upstash/redis decodes base64 as UTF-8 anyway). Blocking commands hold
 * the shared connection, so avoid them.
 */
import { timingSafeEqual } from "node:crypto";
import { BadRequestError, encodeReply, type RedisCommand, toRedisCommand, toRedisCommands } from "./protocol";
import { openResp2Connection, sharedResp2Connection } from "./redis-connection";
import { createScriptTranslator } from "./scripts";

export interface UpstashRestServerOptions {
  /** 0 picks a free port. */
  port: number;
  redisUrl: string;
  token: string;
  hostname?: string;
}

export interface UpstashRestServer {
  url: string;
  stop(): Promise<void>;
}

type ItemReply = { result: unknown } | { error: string };

const isRedisReplyError = (error: unknown): error is Error =>
  error instanceof Error && (error as { code?: unknown }).code === "ERR_REDIS_SERVER_ERROR";

/** Starts the server; Redis is connected lazily on the first command. */
export function startUpstashRestServer(options: UpstashRestServerOptions): UpstashRestServer {
  const shared = sharedResp2Connection(options.redisUrl);
  const scripts = createScriptTranslator();
  const expectedAuthorization = Buffer.from(`Bearer ${options.token}`);

  const isAuthorized = (request: Request) => {
    const given = Buffer.from(request.headers.get("authorization") ?? "");
    return given.length === expectedAuthorization.length && timingSafeEqual(given, expectedAuthorization);
  };

  const runOne = async (command: RedisCommand): Promise<unknown> => {
    const client = await shared.get();
    const [name, ...args] = scripts.toRedis(command);
    return scripts.fromRedis(command, await client.send(name, args));
  };

  const runPipeline = (commands: RedisCommand[], asBase64: boolean): Promise<ItemReply[]> =>
    Promise.all(
      commands.map((command) =>
        runOne(command).then(
          (reply) => ({ result: encodeReply(reply, asBase64) }),
          (error: unknown) => {
            // Only Redis' own answers belong in the array; a lost connection fails the whole request.
            if (isRedisReplyError(error)) return { error: error.message };
            throw error;
          },
        ),
      ),
    );

  // Bun's RedisClient pipelines every request over one shared connection, so a MULTI there would swallow
  // other requests' commands. A transaction gets a connection of its own for its lifetime instead.
  const runTransaction = async (commands: RedisCommand[], asBase64: boolean): Promise<ItemReply[]> => {
    const client = await openResp2Connection(options.redisUrl);
    try {
      await client.send("MULTI", []);
      const queued = commands.map((command) => {
        const [name, ...args] = scripts.toRedis(command);
        // A queueing error also aborts EXEC (EXECABORT), which is what gets reported.
        return client.send(name, args).catch(() => undefined);
      });
      const replies = (await client.send("EXEC", [])) as unknown[];
      await Promise.all(queued);
      return replies.map((reply, index) =>
        reply instanceof Error
          ? { error: reply.message }
          : { result: encodeReply(scripts.fromRedis(commands[index] as RedisCommand, reply), asBase64) },
      );
    } finally {
      client.close();
    }
  };

  const handle = async (request: Request): Promise<unknown> => {
    const asBase64 = request.headers.get("upstash-encoding")?.toLowerCase() === "base64";
    const { pathname } = new URL(request.url);
    if (pathname === "/pipeline") return runPipeline(toRedisCommands(await readJson(request)), asBase64);
    if (pathname === "/multi-exec") return runTransaction(toRedisCommands(await readJson(request)), asBase64);
    const command =
      pathname === "/" ? toRedisCommand(await readJson(request)) : await pathCommand(request, pathname);
    return { result: encodeReply(await runOne(command), asBase64) };
  };

  const server = Bun.serve({
    port: options.port,
    hostname: options.hostname ?? "127.0.0.1",
    async fetch(request) {
      if (!isAuthorized(request)) return Response.json({ error: "Unauthorized" }, { status: 401 });
      try {
        return Response.json(await handle(request));
      } catch (error) {
        if (error instanceof BadRequestError || isRedisReplyError(error)) {
          return Response.json({ error: error.message }, { status: 400 });
        }
        return Response.json({ error: `Redis unavailable: ${String(error)}` }, { status: 502 });
      }
    },
  });

  return {
    url: server.url.href.replace(/\/$/, ""),
    async stop() {
      await server.stop(true);
      await shared.close();
    },
  };
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    throw new BadRequestError("ERR malformed JSON body");
  }
}

/** `/set/k/v` → SET k v; a POST body, if any, is the last argument (Upstash's form for large values). */
async function pathCommand(request: Request, pathname: string): Promise<RedisCommand> {
  const segments = pathname.split("/").filter((segment) => segment !== "");
  let parts: string[];
  try {
    parts = segments.map(decodeURIComponent);
  } catch {
    throw new BadRequestError("ERR malformed URL encoding in path");
  }
  const body = request.method === "POST" ? await request.text() : "";
  return toRedisCommand(body === "" ? parts : [...parts, body]);
}
