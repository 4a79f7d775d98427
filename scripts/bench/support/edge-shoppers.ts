/**
 * Shoppers and an admin driving the platform through the edge, as `npm run bench -- checkout-edge` and the
 * operators' dashboard test do: a store seeded through the admin API, shoppers registered and logged in,
 * and checkouts as a shopper makes them (cart, POST /v1/orders with `Prefer: wait=10`, polling while PENDING).
 */

export type Call = { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number };

/** Requests to the edge at `edgeUrl`, JSON in and out. */
export function edgeClient(edgeUrl: string) {
  const call = async (method: string, path: string, options: Call = {}) =>
    fetch(edgeUrl + path, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });

  /** The JSON of a 2xx answer; anything else throws with the status and body. */
  const json = async <T>(response: Promise<Response>, what: string): Promise<T> => {
    const answer = await response;
    if (!answer.ok) throw new Error(`${what}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  };

  const login = async (email: string, password: string) =>
    (
      await json<{ accessToken: string }>(
        call("POST", "/v1/auth/login", { body: { email, password } }),
        `login ${email}`,
      )
    ).accessToken;

  return { call, json, login };
}
export type EdgeClient = ReturnType<typeof edgeClient>;

/** Runs `work` for 0..count-1, `parallel` at a time. */
export const inParallel = async (count: number, parallel: number, work: (index: number) => Promise<void>) => {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
};

export const withRetries = async <T>(what: string, attempt: () => Promise<T>, tries = 60): Promise<T> => {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= tries) throw new Error(`${what}: ${error instanceof Error ? error.message : error}`);
      await Bun.sleep(500);
    }
  }
};

export interface ShopOptions {
  storeId: string;
  skus: readonly string[];
  address: { line1: string; lat: number; lng: number };
}

/** A store with `skus` (price 15.00 EUR, 10⁶ units each) and `riders` riders, through the admin API. */
export async function seedStore(
  { call, json }: EdgeClient,
  admin: string,
  options: { name: string; location: { lat: number; lng: number }; skus: readonly string[]; riders: number },
): Promise<string> {
  const { storeId } = await json<{ storeId: string }>(
    call("POST", "/v1/admin/stores", {
      token: admin,
      body: { name: options.name, location: options.location, serviceRadiusMeters: 5_000 },
    }),
    "create store",
  );
  for (const sku of options.skus) {
    await json(
      call("POST", "/v1/admin/products", {
        token: admin,
        body: { sku, name: `Bench product ${sku}`, category: "bench", unit: "1 pc" },
      }),
      `product ${sku}`,
    );
    await json(
      call("PUT", `/v1/admin/stores/${storeId}/prices/${sku}`, {
        token: admin,
        body: { price: { amountMinor: 1_500, currency: "EUR" } },
      }),
      `price ${sku}`,
    );
    await json(
      call("PUT", `/v1/admin/stores/${storeId}/stock/${sku}`, { token: admin, body: { onHand: 1_000_000 } }),
      `stock ${sku}`,
    );
  }
  // Delivery learns the store from catalog's StoreUpserted: 422 until then.
  await withRetries("first rider", () =>
    json(
      call("POST", `/v1/admin/stores/${storeId}/riders`, { token: admin, body: { name: "Rider 1" } }),
      "rider",
    ),
  );
  await inParallel(options.riders - 1, 16, (index) =>
    json(
      call("POST", `/v1/admin/stores/${storeId}/riders`, {
        token: admin,
        body: { name: `Rider ${index + 2}` },
      }),
      "rider",
    ).then(() => {}),
  );
  return storeId;
}

/** `count` shoppers registered and logged in through the edge; their access tokens. */
export async function registerShoppers({ call, json, login }: EdgeClient, count: number, run: string) {
  const shoppers: string[] = new Array(count);
  await inParallel(count, 8, async (index) => {
    const email = `bench-${run}-${index}@example.com`;
    const password = "bench-password-123";
    await json(
      call("POST", "/v1/auth/register", { body: { email, password, name: `Shopper ${index}` } }),
      `register ${email}`,
    );
    shoppers[index] = await login(email, password);
  });
  return shoppers;
}

/** How one checkout went: its outcome, how the POST was answered, the polls after it, POST→CONFIRMED. */
export interface CheckoutResult {
  outcome: string;
  /** The order placed, when the POST was accepted. */
  orderId?: string;
  answered?: 201 | 202;
  polls: number;
  confirmedAfterMs?: number;
}

/**
 * One checkout: cart, POST with Prefer: wait=10, then polling while still PENDING. `explain` adds the
 * problem's text to a failed outcome (for a warm-up checkout; a run counts only the status).
 */
export async function checkout(
  { call }: EdgeClient,
  token: string,
  shop: ShopOptions,
  explain = false,
): Promise<CheckoutResult> {
  const sku = shop.skus[Math.floor(Math.random() * shop.skus.length)];
  const cart = await call("PUT", `/v1/cart/items/${sku}`, {
    token,
    body: { storeId: shop.storeId, quantity: 1 },
  });
  if (!cart.ok) {
    const detail = explain ? ` ${(await cart.text()).slice(0, 500)}` : "";
    return { outcome: `cart ${cart.status}${detail}`, polls: 0 };
  }
  await cart.body?.cancel();
  const started = performance.now();
  const placed = await call("POST", "/v1/orders", {
    token,
    body: { storeId: shop.storeId, address: shop.address, payment: { token: "tok_visa" } },
    headers: { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
    timeoutMs: 40_000,
  });
  if (placed.status !== 201 && placed.status !== 202) {
    const detail = explain ? ` ${(await placed.text()).slice(0, 500)}` : "";
    return { outcome: `checkout ${placed.status}${detail}`, polls: 0 };
  }
  const result: CheckoutResult = { outcome: "", answered: placed.status, polls: 0 };
  let order = (await placed.json()) as { orderId: string; status: string; reason?: string | null };
  result.orderId = order.orderId;
  const deadline = Date.now() + 30_000;
  while (order.status === "PENDING" && Date.now() < deadline) {
    await Bun.sleep(100);
    result.polls++;
    const polled = await call("GET", `/v1/orders/${order.orderId}`, { token });
    if (polled.ok) order = (await polled.json()) as typeof order;
    else await polled.body?.cancel();
  }
  if (order.status === "CONFIRMED") result.confirmedAfterMs = performance.now() - started;
  result.outcome = order.status === "REJECTED" ? `REJECTED ${order.reason ?? "?"}` : order.status;
  return result;
}

/** Every shopper checks out in a loop until `endAt` (performance.now()); each result goes to `record`. */
export async function shopUntil(
  client: EdgeClient,
  shoppers: readonly string[],
  shop: ShopOptions,
  endAt: number,
  record: (result: CheckoutResult) => void,
): Promise<void> {
  await Promise.all(
    shoppers.map(async (token) => {
      while (performance.now() < endAt) {
        try {
          record(await checkout(client, token, shop));
        } catch (error) {
          const timedOut = error instanceof Error && error.name === "TimeoutError";
          record({ outcome: timedOut ? "client timeout" : "client error", polls: 0 });
          await Bun.sleep(200);
        }
      }
    }),
  );
}
