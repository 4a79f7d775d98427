import { z } from "zod";
import { localPostgresUrl } from "./local-postgres";

export { localPostgresUrl };

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const csv = z
  .string()
  .transform((value) => value.split(",").map((item) => item.trim()))
  .pipe(z.array(z.string().min(1)).min(1));

/** Every setting of core, from the environment, with defaults that work on a development machine. */
export const ConfigSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
  HOST: z.string().min(1).default("127.0.0.1"),
  DATABASE_URL: z.url().default(localPostgresUrl("quickcommerce")),
  // One of them is the outbox relay's own session (it holds it while it runs).
  DB_POOL_MAX: z.coerce.number().int().min(2).max(100).default(5),
  REDIS_URL: z.url().default("redis://127.0.0.1:6379"),
  KAFKA_BROKERS: csv.default(["127.0.0.1:9092"]),
  KAFKA_CLIENT_ID: z.string().min(1).default("quickcommerce"),
  // A name this process keeps across restarts (its pod's name, the dev supervisor's service name): its consumer
  // group memberships are static, so a restarted process takes its partitions straight back, without waiting out
  // the session timeout and a rebalance of the whole group. Two live processes must never share one.
  KAFKA_INSTANCE_ID: z
    .string()
    .regex(/^[\w.-]{1,200}$/)
    .optional(),
  TOPIC_PREFIX: z.string().default(""),
  // RabbitMQ carries work that people or workers pull and acknowledge (pick tasks, shopper notifications).
  RABBITMQ_URL: z.url({ protocol: /^amqps?$/ }).default("amqp://guest:guest@127.0.0.1:5672"),
  // Prefix of every exchange and queue a process declares, so test runs on a shared broker stay apart.
  QUEUE_PREFIX: z.string().default(""),
  // Unset in production. Tests set it: their queues are deleted by the broker once unused this long (and
  // their exchanges with them), also those declared by child processes or left by a crashed run.
  QUEUE_EXPIRES_MS: z.coerce.number().int().min(1000).optional(),
  EDGE_SIGNING_SECRET: z.string().min(16).default("dev-edge-signing-secret-change-me"),
  EDGE_SIGNATURE_MAX_SKEW_MS: z.coerce.number().int().min(1000).default(30_000),
  // service → service: each caller→callee pair signs with HMAC(SERVICE_AUTH_SECRET, "caller>callee"), or with
  // the pair's key given in SERVICE_KEYS (JSON {"order>cart": "<hex>"}), so a process can hold only its own pairs
  SERVICE_AUTH_SECRET: z.string().min(16).default("dev-service-auth-secret-change-me"),
  SERVICE_KEYS: z
    .string()
    .transform((value, ctx) => {
      try {
        return z.record(z.string().regex(/^[a-z]+>[a-z]+$/), z.string().min(32)).parse(JSON.parse(value));
      } catch {
        ctx.addIssue({ code: "custom", message: 'expected JSON {"caller>callee": "<key of 32+ bytes>"}' });
        return z.NEVER;
      }
    })
    .optional(),
  AUTH_PORT: port(4001),
  CATALOG_PORT: port(4002),
  PRICING_PORT: port(4003),
  CART_PORT: port(4004),
  INVENTORY_PORT: port(4005),
  ORDER_PORT: port(4006),
  PAYMENT_PORT: port(4007),
  DELIVERY_PORT: port(4008),
  // gRPC port of each service that serves gRPC (pricing, cart, inventory, delivery); unset: its HTTP port + 1000
  // (5003, ...), so whatever moves a service's HTTP port (tests, a second instance) moves its gRPC port along.
  AUTH_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  CATALOG_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  PRICING_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  CART_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  INVENTORY_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  ORDER_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  PAYMENT_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  DELIVERY_GRPC_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  // Where the other services reach each one; unset: http://HOST:<SERVICE>_PORT (every service on one machine).
  // On Kubernetes its Service's DNS name (http://inventory:4005), whose endpoints are the ready pods only.
  AUTH_URL: z.url().optional(),
  CATALOG_URL: z.url().optional(),
  PRICING_URL: z.url().optional(),
  CART_URL: z.url().optional(),
  INVENTORY_URL: z.url().optional(),
  ORDER_URL: z.url().optional(),
  PAYMENT_URL: z.url().optional(),
  DELIVERY_URL: z.url().optional(),
  // auth
  JWT_ISSUER: z.string().min(1).default("quickcommerce-auth"),
  JWT_AUDIENCE: z.string().min(1).default("quickcommerce"),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 24 * 3600),
  SIGNING_KEY_GRACE_SECONDS: z.coerce.number().int().min(0).default(3600),
  SIGNING_KEY_ENCRYPTION_SECRET: z.string().min(16).default("dev-signing-key-secret-change-me"),
  ADMIN_EMAIL: z.email().default("admin@quickcommerce.local"),
  ADMIN_PASSWORD: z.string().min(8).default("admin-password-123"),
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).default(5),
  LOGIN_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  LOGIN_LOCK_SECONDS: z.coerce.number().int().min(1).default(900),
  LOGIN_FAILURE_DELAY_MS: z.coerce.number().int().min(0).default(200),
  LOGIN_MAX_DELAY_MS: z.coerce.number().int().min(0).default(5_000),
  // inventory
  INVENTORY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(5_000),
  // Inventory shard databases: the first is the service's own (DATABASE_URL, where checkout reserves), each
  // other one is the database `<DATABASE_URL's name>_inventory_<shard>` on the same server.
  INVENTORY_SHARDS: csv.pipe(z.array(z.string().regex(/^[a-z][a-z0-9]{0,15}$/))).default(["eu1", "eu2"]),
  // A stock transfer aborts when a participant has not prepared within this (lock and statement timeouts too).
  STOCK_TRANSFER_PREPARE_TIMEOUT_MS: z.coerce.number().int().min(10).default(2_000),
  STOCK_TRANSFER_RECOVERY_INTERVAL_MS: z.coerce.number().int().min(10).default(10_000),
  // order
  ORDER_DEADLINE_RESERVE_MS: z.coerce.number().int().min(10).default(15_000),
  ORDER_DEADLINE_AUTHORIZE_MS: z.coerce.number().int().min(10).default(15_000),
  ORDER_DEADLINE_COMMIT_MS: z.coerce.number().int().min(10).default(10_000),
  ORDER_DEADLINE_DELIVERY_MS: z.coerce.number().int().min(10).default(90_000),
  ORDER_DEADLINE_CAPTURE_MS: z.coerce.number().int().min(10).default(15_000),
  ORDER_SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  // After a broker outage, every pending saga deadline is at least this far away: groups rejoin, backlogs drain.
  ORDER_OUTAGE_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
  // Stock stays reserved from checkout until the rider picks the order up (CommitStock): picking and hand-over
  // take minutes, so the reservation outlives them; a saga that gave up releases it long before.
  ORDER_RESERVATION_TTL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(2 * 60 * 60_000),
  ORDER_IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(24).default(24),
  // An order's folded state is kept every N events, where "as of" reads start folding (order_snapshots).
  ORDER_SNAPSHOT_EVERY: z.coerce.number().int().min(2).default(10),
  // payment
  PAYMENT_PROVIDER_LATENCY_MS: z.coerce.number().int().min(0).default(30),
  PAYMENT_PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(10).default(2_000),
  PAYMENT_PROVIDER_RETRIES: z.coerce.number().int().min(0).max(5).default(1),
  // delivery
  DELIVERY_ASSIGN_DEADLINE_MS: z.coerce.number().int().min(0).default(60_000),
  DELIVERY_ASSIGN_RETRY_MS: z.coerce.number().int().min(10).default(1_000),
  // Picking: a claimed task not completed within its visibility time goes back to the store's queue after the
  // retry delay; one that lapsed PICK_MAX_ATTEMPTS claims goes to the dead letters for a shift lead.
  PICK_VISIBILITY_MS: z.coerce.number().int().min(100).default(300_000),
  PICK_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(10_000),
  PICK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  // The notifier simulator: latency per message, share of sends that fail, delay before a retry, attempts.
  NOTIFIER_LATENCY_MS: z.coerce.number().int().min(0).default(50),
  NOTIFIER_FAILURE_RATE: z.coerce.number().min(0).max(1).default(0.05),
  NOTIFIER_RETRY_DELAY_MS: z.coerce.number().int().min(10).default(2_000),
  NOTIFIER_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
  // pricing
  PRICING_QUOTE_SECRET: z.string().min(16).default("dev-pricing-quote-secret-change-me"),
  PRICING_QUOTE_TTL_SECONDS: z.coerce.number().int().min(10).default(600),
  PRICING_DELIVERY_FEE_MINOR: z.coerce.number().int().min(0).default(1990),
  PRICING_SMALL_CART_FEE_MINOR: z.coerce.number().int().min(0).default(990),
  PRICING_SMALL_CART_THRESHOLD_MINOR: z.coerce.number().int().min(0).default(10_000),
  PRICING_SURGE_FEE_MINOR: z.coerce.number().int().min(0).default(1500),
  PRICING_SURGE_OPEN_ORDERS: z.coerce.number().int().min(1).default(20),
  PRICE_CACHE_TTL_SECONDS: z.coerce.number().int().min(1).default(300),
  // cart
  CART_MAX_QUANTITY_PER_SKU: z.coerce.number().int().min(1).max(99).default(10),
  CART_FLUSH_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
  CART_DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default("INR"),
  GUEST_TOKEN_SECRET: z.string().min(16).default("dev-guest-token-secret-change-me"),
  GUEST_TOKEN_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(30 * 24 * 3600),
  CART_REDIS_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 24 * 3600),
  // edge purge (catalog → edge cache invalidation): edge = signed POST to the Worker, cloudflare = KV REST API;
  // unset means `edge`, except `off` when NODE_ENV=test (most tests run catalog without an edge)
  EDGE_PURGER: z.enum(["edge", "cloudflare", "off"]).optional(),
  EDGE_URL: z.url().default("http://127.0.0.1:8787"),
  PURGE_SECRET: z.string().min(16).default("dev-purge-secret-change-me"),
  EDGE_PURGE_COALESCE_MS: z.coerce.number().int().min(0).max(1000).default(250),
  CLOUDFLARE_API_BASE: z.url().default("https://api.cloudflare.com/client/v4"),
  CLOUDFLARE_ACCOUNT_ID: z.string().min(1).optional(),
  CLOUDFLARE_KV_NAMESPACE_ID: z.string().min(1).optional(),
  CLOUDFLARE_API_TOKEN: z.string().min(1).optional(),
  // telemetry
  ZIPKIN_URL: z.url().optional(),
  OTEL_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
});

export type Config = z.infer<typeof ConfigSchema>;

/**
 * Secrets that protect a trust boundary. In production each must be set explicitly, differ from the
 * development default above and hold at least 32 bytes; otherwise the process refuses to start.
 */
export const SECRET_SETTINGS = [
  "EDGE_SIGNING_SECRET",
  "SERVICE_AUTH_SECRET",
  "SIGNING_KEY_ENCRYPTION_SECRET",
  "ADMIN_PASSWORD",
  "PRICING_QUOTE_SECRET",
  "PURGE_SECRET",
  "GUEST_TOKEN_SECRET",
] as const satisfies readonly (keyof Config)[];

const MIN_SECRET_BYTES = 32;

/** What is wrong with each secret in a production environment (empty when all are fine). */
export function productionSecretProblems(env: Record<string, string | undefined>): string[] {
  const defaults = ConfigSchema.parse({});
  const problems: string[] = [];
  for (const name of SECRET_SETTINGS) {
    const value = env[name];
    // A process given its pairs' keys (SERVICE_KEYS) needs no root secret.
    if (name === "SERVICE_AUTH_SECRET" && env.SERVICE_KEYS && value === undefined) continue;
    if (value === undefined || value === "") problems.push(`${name}: required in production`);
    else if (value === defaults[name]) problems.push(`${name}: is the development default`);
    else if (new TextEncoder().encode(value).byteLength < MIN_SECRET_BYTES)
      problems.push(`${name}: shorter than ${MIN_SECRET_BYTES} bytes`);
  }
  return problems;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses and validates the environment once; a bad value throws a ConfigError naming each variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
  if (parsed.success && parsed.data.NODE_ENV === "production")
    problems.push(...productionSecretProblems(env));
  if (parsed.success && problems.length === 0) return parsed.data;
  throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
}
