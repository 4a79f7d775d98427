/**
 * `npm run security:probe`: runs every probe of issue 11 against a running platform (`npm run dev`), through
 * the edge (SECURITY_PROBE_BASE_URL, default http://127.0.0.1:8787), plus the few that must reach core
 * directly (its ports from the same env as `npm run dev`: AUTH_PORT, CART_PORT, ...). Prints one line per
 * probe and `N passed, N failed`; exits 1 when any failed.
 *
 * It acts as an attacker would, and as an operator where a probe needs one (ADMIN_EMAIL/ADMIN_PASSWORD,
 * the development defaults unless set). Each run makes its own accounts and stores, so it can run again.
 */
import { EDGE_NONCE_HEADER, EDGE_SIGNATURE_HEADER, EDGE_TIMESTAMP_HEADER, signRequest } from "@qc/contracts";
import { loadConfig } from "../../core/shared/config";
import { serviceUrl } from "../../core/shared/runtime/context";
import { demoProducts, demoStores } from "../seed/demo-data";

const base = (process.env.SECURITY_PROBE_BASE_URL ?? "http://127.0.0.1:8787").replace(/\/$/, "");
const config = loadConfig({ ...process.env, NODE_ENV: "development" });
const run = crypto.randomUUID().slice(0, 8);
const store = demoStores[0] as (typeof demoStores)[number];
const sku = (demoProducts[0] as (typeof demoProducts)[number]).sku;

type Json = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

let ipSerial = 0;
/** A client address of its own per probe, so rate-limit windows of one probe never touch another's. */
const freshIp = () => `198.18.${(Date.now() >> 8) & 0xff}.${++ipSerial % 250}`;

async function http(
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string;
    ip?: string;
    headers?: Record<string, string>;
    url?: string;
  } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { "cf-connecting-ip": options.ip ?? freshIp(), ...options.headers };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(`${options.url ?? base}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(20_000),
  });
  const text = await response.text();
  let body: Json = {};
  try {
    body = text ? (JSON.parse(text) as Json) : {};
  } catch {}
  return { status: response.status, headers: response.headers, body, text };
}

const results: { name: string; ok: boolean; detail: string }[] = [];

/** Runs one probe: it returns what it saw, or throws with what went wrong. */
async function probe(name: string, check: () => Promise<string>): Promise<void> {
  try {
    const detail = await check();
    results.push({ name, ok: true, detail });
    console.log(`PASS  ${name} — ${detail}`);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    results.push({ name, ok: false, detail });
    console.log(`FAIL  ${name} — ${detail}`);
  }
}

function expectStatus(answer: Answer, ...expected: number[]): void {
  if (!expected.includes(answer.status))
    throw new Error(`expected ${expected.join(" or ")}, got ${answer.status} ${answer.text.slice(0, 200)}`);
}

// Accounts the probes share.
async function register(label: string, password = `pw-${run}-${label}-0001`) {
  const email = `probe-${run}-${label}@example.com`;
  expectStatus(
    await http("POST", "/v1/auth/register", { body: { email, password, name: `Probe ${label}` } }),
    201,
  );
  return { email, password };
}
async function login(email: string, password: string, ip?: string): Promise<Answer> {
  return http("POST", "/v1/auth/login", { body: { email, password }, ...(ip ? { ip } : {}) });
}
async function tokenOf(email: string, password: string): Promise<string> {
  const answer = await login(email, password);
  expectStatus(answer, 200);
  return answer.body.accessToken as string;
}
const adminToken = () =>
  tokenOf(
    process.env.ADMIN_EMAIL ?? "admin@quickcommerce.local",
    process.env.ADMIN_PASSWORD ?? "admin-password-123",
  );

async function catalogHealthy(): Promise<void> {
  expectStatus(await http("GET", `/v1/catalog/products?storeId=${store.storeId}&limit=1`), 200);
}

// ── Item 1: client errors cannot open the edge's breaker ─────────────────────────────────────────────
await probe("1a NUL in a catalog query is 400, and catalog stays up after 8 of them", async () => {
  for (let i = 0; i < 8; i++)
    expectStatus(await http("GET", `/v1/catalog/products?storeId=${store.storeId}&category=%00`), 400);
  await catalogHealthy();
  return "8× 400, then catalog 200";
});

await probe("1b NUL in a registered name is 400, and login stays up", async () => {
  for (let i = 0; i < 6; i++) {
    const email = `probe-${run}-nul${i}@example.com`;
    expectStatus(
      await http("POST", "/v1/auth/register", {
        body: { email, password: "long-enough-1", name: "E\u0000ve" },
      }),
      400,
    );
  }
  const { email, password } = await register("nul-after");
  expectStatus(await login(email, password), 200);
  return "6× 400, then login 200";
});

await probe("1c an order-list cursor whose id is not a UUID is 400, and orders stay up", async () => {
  const { email, password } = await register("cursor");
  const token = await tokenOf(email, password);
  const forged = Buffer.from("2026-01-01T00:00:00.000Z|not-a-uuid").toString("base64url");
  for (let i = 0; i < 6; i++) expectStatus(await http("GET", `/v1/orders?cursor=${forged}`, { token }), 400);
  expectStatus(await http("GET", "/v1/orders", { token }), 200);
  return "6× 400, then orders 200";
});

// ── Item 2: carts are reached only by their owner or a guest token cart issued ───────────────────────
await probe("2a merge by a victim's user id is refused and the victim's cart is untouched", async () => {
  const victim = await register("victim");
  const victimToken = await tokenOf(victim.email, victim.password);
  const victimId = JSON.parse(Buffer.from(victimToken.split(".")[1] ?? "", "base64url").toString()).sub;
  expectStatus(
    await http("PUT", `/v1/cart/items/${sku}`, {
      token: victimToken,
      body: { storeId: store.storeId, quantity: 2 },
    }),
    200,
  );
  const attacker = await register("attacker");
  const attackerToken = await tokenOf(attacker.email, attacker.password);
  expectStatus(
    await http("POST", "/v1/cart/merge", {
      token: attackerToken,
      body: { guestId: victimId, storeId: store.storeId },
    }),
    400,
  );
  const cart = await http("GET", `/v1/cart?storeId=${store.storeId}`, { token: victimToken });
  const lines = (cart.body.lines as { sku: string; quantity: number }[]) ?? [];
  if (lines.find((line) => line.sku === sku)?.quantity !== 2) throw new Error("victim's cart changed");
  return "400; victim still has 2";
});

await probe("2b a guest cart works by its token; a forged token names no cart", async () => {
  const guest = await http("POST", "/v1/cart/guest");
  expectStatus(guest, 201);
  if (guest.headers.get("cache-control") !== "no-store") throw new Error("guest token response is cacheable");
  const guestToken = guest.body.guestToken as string;
  expectStatus(
    await http("PUT", `/v1/cart/items/${sku}`, {
      headers: { "x-guest-token": guestToken },
      body: { storeId: store.storeId, quantity: 1 },
    }),
    200,
  );
  expectStatus(await http("GET", `/v1/cart?storeId=${store.storeId}`), 401);
  const [header, payload] = guestToken.split(".");
  const forged = `${header}.${payload}.${"A".repeat(43)}`;
  expectStatus(
    await http("GET", `/v1/cart?storeId=${store.storeId}`, { headers: { "x-guest-token": forged } }),
    401,
  );
  const shopper = await register("merger");
  const token = await tokenOf(shopper.email, shopper.password);
  const merged = await http("POST", "/v1/cart/merge", {
    token,
    body: { guestToken, storeId: store.storeId },
  });
  expectStatus(merged, 200);
  return "guest cart by token, forged token 401, merge 200";
});

// ── Item 3: production refuses development secrets ───────────────────────────────────────────────────
await probe(
  "3 a service started with NODE_ENV=production and the development secrets refuses to start",
  async () => {
    const child = Bun.spawn([process.execPath, "core/auth/main.ts"], {
      cwd: `${import.meta.dir}/../..`,
      env: {
        ...process.env,
        NODE_ENV: "production",
        AUTH_PORT: "1",
        EDGE_SIGNING_SECRET: "dev-edge-signing-secret-change-me",
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const code = await Promise.race([child.exited, Bun.sleep(20_000).then(() => "timeout" as const)]);
    if (code === "timeout") {
      child.kill("SIGKILL");
      throw new Error("it started");
    }
    const output = (await new Response(child.stderr).text()) + (await new Response(child.stdout).text());
    if (code === 0 || !output.includes("EDGE_SIGNING_SECRET") || !output.includes("ADMIN_PASSWORD"))
      throw new Error(`exit ${code}: ${output.slice(0, 300)}`);
    return `exit ${code}, naming EDGE_SIGNING_SECRET and ADMIN_PASSWORD`;
  },
);

// ── Item 4: /internal needs a service's signature ────────────────────────────────────────────────────
await probe(
  "4 core's /internal routes refuse unsigned callers (the ledger, coupons, the latency dial)",
  async () => {
    const user = crypto.randomUUID();
    const calls = [
      ["GET", `${serviceUrl(config, "payment")}/internal/v1/ledger/balance`, undefined],
      [
        "POST",
        `${serviceUrl(config, "pricing")}/internal/v1/coupons/WELCOME10/redemptions`,
        { orderId: crypto.randomUUID(), userId: user },
      ],
      ["PUT", `${serviceUrl(config, "payment")}/internal/v1/card-processor/latency`, { latencyMs: 60_000 }],
    ] as const;
    for (const [method, url, body] of calls) {
      const response = await fetch(url, {
        method,
        headers: { "content-type": "application/json" },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      if (response.status !== 401) throw new Error(`${method} ${url} answered ${response.status}`);
    }
    return "3× 401";
  },
);

// ── Item 5: store staff act only in their stores ─────────────────────────────────────────────────────
await probe("5 store staff change stock in their store only", async () => {
  const admin = await adminToken();
  const [own, other] = [demoStores[0], demoStores[1]] as [
    (typeof demoStores)[number],
    (typeof demoStores)[number],
  ];
  const staff = await register("staff");
  const staffLogin = await login(staff.email, staff.password);
  const staffId = JSON.parse(
    Buffer.from(((staffLogin.body.accessToken as string) ?? "").split(".")[1] ?? "", "base64url").toString(),
  ).sub;
  expectStatus(
    await http("PUT", `/v1/admin/users/${staffId}/roles`, {
      token: admin,
      body: { roles: ["store_staff"], storeIds: [own.storeId] },
    }),
    200,
  );
  const refreshed = await http("POST", "/v1/auth/refresh", {
    body: { refreshToken: staffLogin.body.refreshToken },
  });
  expectStatus(refreshed, 200);
  const token = refreshed.body.accessToken as string;
  const stock = (storeId: string) =>
    http("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, { token, body: { onHand: 40 } });
  expectStatus(await stock(other.storeId), 403);
  expectStatus(await stock(own.storeId), 200);
  return "other store 403, own store 200";
});

// ── Item 6: a guesser locks out only itself ──────────────────────────────────────────────────────────
await probe("6 five wrong passwords from one client do not lock the owner out elsewhere", async () => {
  const { email, password } = await register("lockout");
  const attacker = freshIp();
  for (let i = 0; i < 5; i++) expectStatus(await login(email, "wrong-password", attacker), 401);
  expectStatus(await login(email, password, attacker), 429);
  expectStatus(await login(email, password, freshIp()), 200);
  return "attacker 429, owner 200";
});

// ── Item 7: the rate limiter's identity is not the client's word ─────────────────────────────────────
await probe("7 rotating X-Real-IP / X-Forwarded-For does not escape the per-IP login limit", async () => {
  const ip = freshIp();
  let limited = 0;
  let limit = 0;
  for (let i = 0; i < 40 && limited === 0; i++) {
    const spoof = `203.0.113.${i + 1}`;
    const answer = await http("POST", "/v1/auth/login", {
      ip,
      headers: { "x-real-ip": spoof, "x-forwarded-for": spoof },
      body: { email: `nobody-${run}@example.com`, password: "guess" },
    });
    limit = Number(answer.headers.get("ratelimit-limit") ?? limit);
    if (answer.status === 429) limited = i + 1;
  }
  if (!limited) throw new Error("40 logins with rotating X-Real-IP were never limited");
  return `429 after ${limited} (limit ${limit})`;
});

// ── Item 8: rotation purges the edge's JWKS ──────────────────────────────────────────────────────────
await probe("8 a key rotation purges the edge's cached JWKS and new tokens verify at once", async () => {
  const admin = await adminToken();
  const rotated = await http("POST", "/v1/admin/auth/keys/rotate", { token: admin });
  expectStatus(rotated, 201);
  if (rotated.body.edgePurged !== true) throw new Error(`edge not purged: ${rotated.text}`);
  const { email, password } = await register("after-rotation");
  expectStatus(await http("GET", "/v1/orders", { token: await tokenOf(email, password) }), 200);
  return "edgePurged, new token 200";
});

// ── Item 9: a captured edge→core command cannot be replayed ──────────────────────────────────────────
await probe("9 core refuses a signed command replayed inside the window", async () => {
  const path = `/v1/cart/items/${sku}`;
  const body = JSON.stringify({ storeId: store.storeId, quantity: 1 });
  const timestamp = Date.now();
  const nonce = crypto.randomUUID().replaceAll("-", "");
  const userId = crypto.randomUUID();
  const signature = await signRequest({
    secret: config.EDGE_SIGNING_SECRET,
    method: "PUT",
    path,
    timestamp,
    body,
    userId,
    roles: ["shopper"],
    nonce,
  });
  const send = () =>
    fetch(`${serviceUrl(config, "cart")}${path}`, {
      method: "PUT",
      headers: {
        "content-type": "application/json",
        "x-user-id": userId,
        "x-user-roles": "shopper",
        [EDGE_TIMESTAMP_HEADER]: String(timestamp),
        [EDGE_NONCE_HEADER]: nonce,
        [EDGE_SIGNATURE_HEADER]: signature,
      },
      body,
    });
  const first = await send();
  const replay = await send();
  if (first.status !== 200 || replay.status !== 401)
    throw new Error(`first ${first.status}, replay ${replay.status}`);
  return "first 200, replay 401";
});

// ── Item 12: hardening at the edge ───────────────────────────────────────────────────────────────────
await probe("12a every answer is nosniff and HSTS; token answers are no-store", async () => {
  for (const path of ["/openapi.json", "/v1/nowhere", `/v1/catalog/products?storeId=${store.storeId}`]) {
    const answer = await http("GET", path);
    if (answer.headers.get("x-content-type-options") !== "nosniff") throw new Error(`${path} not nosniff`);
    if (!answer.headers.get("strict-transport-security")) throw new Error(`${path} without HSTS`);
  }
  const { email, password } = await register("headers");
  if ((await login(email, password)).headers.get("cache-control") !== "no-store")
    throw new Error("login answer is cacheable");
  return "nosniff + HSTS; login no-store";
});

await probe("12b the docs page runs only the Worker's own script", async () => {
  const page = await http("GET", "/docs");
  const sources = [...page.text.matchAll(/<script[^>]*src="([^"]+)"/g)].map((match) => match[1] ?? "");
  if (sources.some((source) => !source.startsWith("/"))) throw new Error(`third-party script: ${sources}`);
  if (!page.headers.get("content-security-policy")?.includes("script-src 'self'")) throw new Error("no CSP");
  return sources.join(", ");
});

await probe("12c a product image must be http(s)", async () => {
  const admin = await adminToken();
  const answer = await http("POST", "/v1/admin/products", {
    token: admin,
    body: {
      sku: `PROBE-${run}`.toUpperCase(),
      name: "Probe",
      category: "probe",
      imageUrl: "javascript:alert(1)",
    },
  });
  expectStatus(answer, 400);
  return "javascript: URL 400";
});

await probe("12d another shopper's order is 404, not 403", async () => {
  const owner = await register("order-owner");
  const ownerToken = await tokenOf(owner.email, owner.password);
  expectStatus(
    await http("PUT", `/v1/cart/items/${sku}`, {
      token: ownerToken,
      body: { storeId: store.storeId, quantity: 1 },
    }),
    200,
  );
  const placed = await http("POST", "/v1/orders", {
    token: ownerToken,
    headers: { "idempotency-key": `probe-${run}-order` },
    body: {
      storeId: store.storeId,
      address: { line1: "1 Probe Street", lat: store.location.lat, lng: store.location.lng },
      payment: { token: "tok_visa" },
    },
  });
  expectStatus(placed, 201, 202);
  const orderId = placed.body.orderId as string;
  const other = await register("order-other");
  const otherToken = await tokenOf(other.email, other.password);
  expectStatus(await http("GET", `/v1/orders/${orderId}`, { token: otherToken }), 404);
  expectStatus(await http("GET", `/v1/orders/${orderId}`, { token: ownerToken }), 200);
  return "stranger 404, owner 200";
});

await probe("12e /v1/health shows detail only to operators and is cached", async () => {
  const anonymous = await http("GET", "/v1/health");
  if (Object.keys(anonymous.body).join(",") !== "status") throw new Error(`anonymous sees ${anonymous.text}`);
  if (!/max-age=\d/.test(anonymous.headers.get("cache-control") ?? "")) throw new Error("health not cached");
  const operator = await http("GET", "/v1/health", { token: await adminToken() });
  if (!operator.body.services) throw new Error("operator sees no detail");
  return "anonymous {status}, admin per service";
});

// ── Item 10: a coupon use is spent once per order and once per shopper ───────────────────────────────
const place = (token: string, key: string, storeId: string, extra: Json = {}) =>
  http("POST", "/v1/orders", {
    token,
    headers: { "idempotency-key": key, prefer: "wait=10" },
    body: {
      storeId,
      address: { line1: "1 Probe Street", lat: store.location.lat, lng: store.location.lng },
      payment: { token: "tok_visa" },
      ...extra,
    },
  });
const fillCart = async (token: string, storeId: string) => {
  // The previous order clears the cart a moment after it is placed: fill it once that has happened.
  for (let i = 0; i < 50; i++) {
    const cart = await http("GET", `/v1/cart?storeId=${storeId}`, {
      token,
      headers: { "cache-control": "no-cache" },
    });
    if (((cart.body.lines as unknown[]) ?? []).length === 0) break;
    await Bun.sleep(100);
  }
  expectStatus(await http("PUT", `/v1/cart/items/${sku}`, { token, body: { storeId, quantity: 1 } }), 200);
};

await probe(
  "10 a coupon is spent once per order however often it is sent, and once per shopper",
  async () => {
    const code = `PROBE${run.toUpperCase()}`;
    const now = Date.now();
    expectStatus(
      await http("POST", "/v1/admin/coupons", {
        token: await adminToken(),
        body: {
          code,
          amountOffMinor: 100,
          maxRedemptions: 5,
          validFrom: new Date(now - 60_000).toISOString(),
          validTo: new Date(now + 3_600_000).toISOString(),
        },
      }),
      201,
    );
    const shopper = await register("coupon");
    const token = await tokenOf(shopper.email, shopper.password);
    await fillCart(token, store.storeId);
    const key = `probe-${run}-coupon`;
    const [first, again] = [
      await place(token, key, store.storeId, { couponCode: code }),
      await place(token, key, store.storeId, { couponCode: code }),
    ];
    expectStatus(first, 201, 202);
    expectStatus(again, 201, 202);
    if (first.body.orderId !== again.body.orderId)
      throw new Error("the repeated request made a second order");
    await fillCart(token, store.storeId);
    const second = await place(token, `probe-${run}-coupon-2`, store.storeId, { couponCode: code });
    expectStatus(second, 422);
    if (!String(second.body.type).includes("coupon_used_by_shopper"))
      throw new Error(`answered ${second.text}`);
    return "repeat: same order; second order with the coupon: 422 coupon_used_by_shopper";
  },
);

// ── Item 11: a cancel that meets a rider who has the goods is refused ──────────────────────────────────
await probe("11 a cancel sent right after the rider picked the order up does not cancel it", async () => {
  const admin = await adminToken();
  const created = await http("POST", "/v1/admin/stores", {
    token: admin,
    body: { name: `Probe ${run}`, location: store.location, serviceRadiusMeters: 3_000 },
  });
  expectStatus(created, 201);
  const storeId = created.body.storeId as string;
  expectStatus(
    await http("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, {
      token: admin,
      body: { price: { amountMinor: 500, currency: "EUR" } },
    }),
    200,
  );
  expectStatus(
    await http("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, { token: admin, body: { onHand: 5 } }),
    200,
  );
  const rider = await register("rider");
  const riderLogin = await login(rider.email, rider.password);
  const riderId = JSON.parse(
    Buffer.from(((riderLogin.body.accessToken as string) ?? "").split(".")[1] ?? "", "base64url").toString(),
  ).sub as string;
  expectStatus(
    await http("PUT", `/v1/admin/users/${riderId}/roles`, {
      token: admin,
      // The probe's rider packs too: a rider can only pick up a bag the store has packed.
      body: { roles: ["rider", "store_staff"], storeIds: [storeId] },
    }),
    200,
  );
  const riderToken = (
    await http("POST", "/v1/auth/refresh", { body: { refreshToken: riderLogin.body.refreshToken } })
  ).body.accessToken as string;
  // The delivery service may learn the new store a moment after catalog accepted it.
  for (let i = 0; ; i++) {
    const added = await http("POST", `/v1/admin/stores/${storeId}/riders`, {
      token: admin,
      body: { name: "Probe rider", userId: riderId },
    });
    if (added.status === 201) break;
    if (i >= 50) throw new Error(`rider not added: ${added.status} ${added.text}`);
    await Bun.sleep(200);
  }
  const shopper = await register("cancel-race");
  const token = await tokenOf(shopper.email, shopper.password);
  await fillCart(token, storeId);
  const placed = await place(token, `probe-${run}-race`, storeId);
  expectStatus(placed, 201);
  if (placed.body.status !== "CONFIRMED") throw new Error(`order is ${placed.body.status}`);
  const orderId = placed.body.orderId as string;
  for (let i = 0; ; i++) {
    const claimed = await http("GET", `/v1/stores/${storeId}/pick-tasks/next`, { token: riderToken });
    if (claimed.status === 200 && claimed.body.orderId === orderId) {
      const lines = (claimed.body.lines as { sku: string; quantity: number }[]).map((line) => ({
        sku: line.sku,
        picked: line.quantity,
      }));
      expectStatus(
        await http("POST", `/v1/pick-tasks/${claimed.body.taskId}/complete`, {
          token: riderToken,
          body: { lines },
        }),
        200,
      );
      break;
    }
    if (i >= 50) throw new Error(`the order's pick task was not handed out: ${claimed.status}`);
    await Bun.sleep(200);
  }
  expectStatus(
    await http("POST", `/v1/deliveries/${orderId}/status`, {
      token: riderToken,
      body: { status: "PICKED_UP" },
    }),
    200,
  );
  const cancel = await http("POST", `/v1/orders/${orderId}/cancel`, { token });
  expectStatus(cancel, 202, 409);
  await Bun.sleep(3_000);
  const order = await http("GET", `/v1/orders/${orderId}`, { token });
  if (order.body.status !== "PICKED_UP") throw new Error(`order is ${order.body.status} after the cancel`);
  return `cancel answered ${cancel.status}; the order stays PICKED_UP`;
});

const passed = results.filter((result) => result.ok).length;
const failed = results.length - passed;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
