import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { RedisClient } from "bun";
import { startUpstashRestServer, type UpstashRestServer } from "./server";

const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const token = "test-upstash-token";
const prefix = `test:upstash-rest:${Bun.randomUUIDv7()}:`;
const key = (name: string) => `${prefix}${name}`;
const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex");

let server: UpstashRestServer;
let redis: Redis;
/** Direct connection to Redis, to check effects independently of the server under test. */
let direct: RedisClient;

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

beforeAll(() => {
  server = startUpstashRestServer({ port: 0, redisUrl, token });
  // No retries and no JSON auto-parsing: values must come back exactly as stored.
  redis = new Redis({ url: server.url, token, retry: false, automaticDeserialization: false });
  direct = new RedisClient(redisUrl);
});

afterAll(async () => {
  const keys = (await direct.send("KEYS", [`${prefix}*`])) as string[];
  if (keys.length > 0) await direct.send("DEL", keys);
  direct.close();
  await server.stop();
});

describe("single commands", () => {
  it("round-trips unicode and binary-ish strings through the real client's base64 path", async () => {
    const values = ["héllo wörld 🙂 — ✓ 漢字", '\u0000\u0001\u001f\u007f\n\t"\\', "OK", "T0s=", "42"];
    for (const [index, value] of values.entries()) {
      expect(await redis.set(key(`str:${index}`), value)).toBe("OK");
      expect(await redis.get<string>(key(`str:${index}`))).toBe(value);
      expect(await direct.get(key(`str:${index}`))).toBe(value);
    }
  });

  it("base64-encodes every string in a result, recursively, and leaves numbers and null alone", async () => {
    const script = "return {ARGV[1], 7, {ARGV[2]}, false}";
    const body = ["EVAL", script, 0, "ünï", "x"];
    const encoded = await post("/", body, { "upstash-encoding": "base64" });
    const b64 = (text: string) => Buffer.from(text).toString("base64");
    expect(await encoded.json()).toEqual({ result: [b64("ünï"), 7, [b64("x")], null] });
    const plain = await post("/", body);
    expect(await plain.json()).toEqual({ result: ["ünï", 7, ["x"], null] });
  });

  it("answers in RESP2 shapes, as Upstash does", async () => {
    // The client's default deserialization is what turns HGETALL's flat array into an object.
    const parsing = new Redis({ url: server.url, token, retry: false });
    await parsing.hset(key("hash"), { f1: "v1", f2: "2" });
    expect(await parsing.hgetall(key("hash"))).toEqual({ f1: "v1", f2: 2 });
    await redis.zadd(key("zset"), { score: 1.5, member: "m" });
    expect(await post("/", ["ZSCORE", key("zset"), "m"]).then((r) => r.json())).toEqual({ result: "1.5" });
    expect(await post("/", ["ZRANGE", key("zset"), 0, -1, "WITHSCORES"]).then((r) => r.json())).toEqual({
      result: ["m", "1.5"],
    });
  });

  it("accepts the path form, with a POST body as the last argument", async () => {
    const path = `/set/${encodeURIComponent(key("path"))}/a%20b`;
    expect(await (await post(path, "")).json()).toEqual({ result: "OK" });
    expect(await direct.get(key("path"))).toBe("a b");
    const got = await fetch(`${server.url}/get/${encodeURIComponent(key("path"))}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await got.json()).toEqual({ result: "a b" });
    await post(`/set/${encodeURIComponent(key("path"))}`, "from body");
    expect(await direct.get(key("path"))).toBe("from body");
  });

  it("passes Redis errors through as 400 and rejects malformed bodies with 400", async () => {
    await direct.set(key("text"), "abc");
    const redisError = await post("/", ["INCR", key("text")]);
    expect(redisError.status).toBe(400);
    expect(await redisError.json()).toEqual({ error: "ERR value is not an integer or out of range" });
    await expect(redis.incr(key("text"))).rejects.toThrow("ERR value is not an integer");

    for (const body of ['["GET"', "{}", "[]", '[["GET"]]', '["SET", {"a": 1}, "v"]']) {
      const response = await post("/", body);
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toBeString();
    }
  });

  it("refuses connection-state commands that would leak into other requests", async () => {
    const response = await post("/", ["SELECT", 1]);
    expect(response.status).toBe(400);
    expect(await post("/", ["PING"]).then((r) => r.json())).toEqual({ result: "PONG" });
  });
});

describe("authorization", () => {
  it("answers 401 to a wrong or missing bearer token", async () => {
    const wrong = await post("/", ["PING"], { authorization: "Bearer nope" });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "Unauthorized" });
    const missing = await fetch(`${server.url}/`, { method: "POST", body: '["PING"]' });
    expect(missing.status).toBe(401);
    const stranger = new Redis({ url: server.url, token: "nope", retry: false });
    await expect(stranger.set(key("unauthorized"), "x")).rejects.toThrow("Unauthorized");
    expect(await direct.exists(key("unauthorized"))).toBe(false);
  });
});

describe("pipeline", () => {
  it("runs commands in order and reports each failure in its own slot", async () => {
    const results = await redis
      .pipeline()
      .set(key("p:n"), "1")
      .incr(key("p:n"))
      .hset(key("p:n"), { a: "b" })
      .get(key("p:n"))
      .exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(["OK", 2, undefined, "2"]);
    expect(results[2]?.error).toStartWith("WRONGTYPE");
  });
});

describe("multi-exec", () => {
  it("is all-or-nothing when a command is rejected while queueing", async () => {
    const response = await post("/multi-exec", [
      ["SET", key("tx:abort"), "written"],
      ["SET", key("tx:abort")],
    ]);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toStartWith("EXECABORT");
    expect(await direct.exists(key("tx:abort"))).toBe(false);
  });

  it("keeps runtime errors per command, like EXEC", async () => {
    const results = await redis
      .multi()
      .set(key("tx:n"), "1")
      .hset(key("tx:n"), { a: "b" })
      .incr(key("tx:n"))
      .exec({ keepErrors: true });
    expect(results.map((r) => r.result)).toEqual(["OK", undefined, 2]);
    expect(results[1]?.error).toStartWith("WRONGTYPE");
  });

  it("isolates concurrent transactions from each other", async () => {
    const transactions = Array.from({ length: 20 }, () =>
      redis.multi().incr(key("tx:pairs")).incr(key("tx:pairs")).exec<[number, number]>(),
    );
    const pairs = await Promise.all(transactions);
    for (const [first, second] of pairs) expect(second).toBe(first + 1);
    expect(Number(await direct.get(key("tx:pairs")))).toBe(40);
  });
});

describe("scripts", () => {
  const script = `-- ${prefix}\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])`;

  it("answers NOSCRIPT as a 400 error and runs the script after SCRIPT LOAD", async () => {
    const unknown = await post("/", ["EVALSHA", sha1(script), 1, key("s:n"), 5]);
    expect(unknown.status).toBe(400);
    expect(await errorOf(unknown)).toStartWith("NOSCRIPT");
    await expect(redis.evalsha(sha1(script), [key("s:n")], [5])).rejects.toThrow("NOSCRIPT");

    expect(await redis.scriptLoad(script)).toBe(sha1(script));
    expect(await redis.scriptExists(sha1(script))).toEqual([1]);
    expect(await redis.evalsha(sha1(script), [key("s:n")], [5])).toBe(5);
    expect(await redis.eval(script, [key("s:n")], [2])).toBe(7);
  });

  it("runs scripts with Upstash-only shebang flags and keeps the client's sha for EVALSHA", async () => {
    const flagged = `#!lua flags=allow-key-locking\n-- ${prefix}\nreturn redis.call("INCR", KEYS[1])`;
    await expect(redis.evalsha(sha1(flagged), [key("s:flagged")], [])).rejects.toThrow("NOSCRIPT");
    expect(await redis.eval(flagged, [key("s:flagged")], [])).toBe(1);
    expect(await redis.evalsha(sha1(flagged), [key("s:flagged")], [])).toBe(2);
    expect(await redis.scriptLoad(flagged)).toBe(sha1(flagged));
    expect(await redis.scriptExists(sha1(flagged))).toEqual([1]);
  });
});

describe("@upstash/ratelimit over the server", () => {
  it("lets a sliding window of N allow N requests and deny the next with a reset time", async () => {
    const limit = 3;
    const ratelimit = new Ratelimit({
      redis,
      limiter: Ratelimit.slidingWindow(limit, "10 s"),
      prefix: key("ratelimit"),
      // Every decision must come from Redis: no in-memory shortcut, no fail-open on timeout.
      ephemeralCache: false,
      timeout: 0,
    });
    const before = Date.now();
    const decisions = [];
    for (let i = 0; i <= limit; i++) decisions.push(await ratelimit.limit("client-1"));

    expect(decisions.map((d) => d.success)).toEqual([true, true, true, false]);
    expect(decisions.map((d) => d.remaining)).toEqual([2, 1, 0, 0]);
    const denied = decisions[limit];
    expect(denied?.reason).toBeUndefined();
    expect(denied?.reset).toBeGreaterThan(before);
    expect(denied?.reset).toBeLessThanOrEqual(before + 20_000);
    expect((await ratelimit.limit("client-2")).success).toBe(true);
  });
});
