/**
 * The operators' dashboard in a real browser (issue 14): the whole platform as `npm run dev` starts it, on its
 * own ports, database and topic prefix; Debian's Chromium driven by playwright-core signs in as the admin on
 * /ops, a few shoppers check out through the edge for 15 s, and the page's figures move. The screenshot it
 * takes is docs/img/ops.png (docs/operations.md shows it). A shopper's token gets 403, on the page and the API.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Admin } from "@platformatic/kafka";
import { type Browser, chromium, type Page } from "playwright-core";
import { dropDatabase } from "../../core/shared/db";
import { SERVICE_NAMES } from "../../core/shared/runtime/context";
import { quietPort } from "../../core/shared/testing/ports";
import { RAISED_RATE_LIMITS } from "../bench/support/edge-bench";
import {
  checkout,
  edgeClient,
  registerShoppers,
  seedStore,
  shopUntil,
  withRetries,
} from "../bench/support/edge-shoppers";
import { ensureDebianPackage } from "../infra/debian";
import { type Platform, startPlatform } from "../platform/start";

const root = resolve(import.meta.dir, "../..");
const run = crypto.randomUUID().slice(0, 8);
const database = `postgres://postgres@127.0.0.1:5432/qc_ops_${run}`;
const persistTo = mkdtempSync(join(tmpdir(), "qc-ops-"));
const LOAD_SECONDS = 15;
const SHOPPERS = 4;

let platform: Platform | undefined;
let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  rmSync(persistTo, { recursive: true, force: true });
  await dropDatabase(database, { derived: true }).catch(() => {});
}, 60_000);

const number = async (page: Page, id: string) => Number(await page.locator(`#${id}`).textContent());

/**
 * Waits until `expression` is true in the page. An expression, because this project's TypeScript has no DOM
 * types; evaluated through the DevTools protocol, which the page's CSP (no eval) does not bind, unlike
 * waitForFunction's string form.
 */
const until = async (page: Page, expression: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${expression}`);
    await Bun.sleep(250);
  }
};

describe("GET /ops in a browser", () => {
  it("signs an admin in, shows the figures move under a checkout load, and refuses a shopper", async () => {
    await ensureDebianPackage("chromium", ["chromium"]);
    mkdirSync(join(root, ".qc/ops"), { recursive: true });
    platform = await startPlatform({
      env: {
        ...Object.fromEntries(
          SERVICE_NAMES.map((name) => [`${name.toUpperCase()}_PORT`, String(quietPort())]),
        ),
        DATABASE_URL: database,
        TOPIC_PREFIX: `ops${run}`,
        KAFKA_CLIENT_ID: `ops-${run}`,
        EDGE_URL: `http://127.0.0.1:${quietPort()}`,
        EDGE_INSPECTOR_PORT: String(quietPort()),
        UPSTASH_PORT: String(quietPort()),
        EDGE_PURGER: "edge",
        LOG_LEVEL: "warn",
      },
      // Shoppers sign up and check out back to back from one address, as in the benches: the credentials limit
      // would answer 429 after ten sign-ins, the checkout limit after five orders, the per-IP one within the
      // load (600 requests a minute).
      edgeVars: RAISED_RATE_LIMITS,
      seed: false,
      deleteTopicsOnStop: true,
      edgeLogLevel: "warn",
      // As the benches start the edge (wrangler's dev server, inspector off): this test is what runs that
      // launcher in CI, while scripts/dev.test.ts runs `wrangler dev` itself.
      edgeInspector: false,
      logFile: join(root, `.qc/ops/dashboard-${run}.log`),
      persistTo,
      log: () => {},
    });
    const { config, edgeUrl } = platform;
    const client = edgeClient(edgeUrl);
    const admin = await client.login(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    const skus = ["OPS-1", "OPS-2", "OPS-3"];
    const storeId = await seedStore(client, admin, {
      name: `Ops store ${run}`,
      location: { lat: 52.52, lng: 13.405 },
      skus,
      riders: 150,
    });
    const shop = { storeId, skus, address: { line1: "Ops street 1", lat: 52.521, lng: 13.407 } };
    const shoppers = await registerShoppers(client, SHOPPERS, `ops-${run}`);

    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox"] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(`${edgeUrl}/ops`);
    await page.fill("#email", config.ADMIN_EMAIL);
    await page.fill("#password", config.ADMIN_PASSWORD);
    await page.click("button[type=submit]");
    await until(page, `document.getElementById("requests").textContent !== "–"`);
    // No checkout yet: nothing to count, and uPlot (from the Worker's assets) drew its charts.
    expect(await number(page, "orders-per-second")).toBe(0);
    expect(await page.locator("#checkout-p50").textContent()).toBe("–");
    expect(await page.locator("#chart-orders canvas").count()).toBeGreaterThan(0);

    // The first checkout waits out the read models catching up; then the shoppers load it for 15 s.
    await withRetries(
      "a first checkout",
      async () => {
        const { outcome } = await checkout(client, shoppers[0] as string, shop, true);
        if (outcome !== "CONFIRMED") throw new Error(outcome);
      },
      20,
    );
    const outcomes: string[] = [];
    await shopUntil(client, shoppers, shop, performance.now() + LOAD_SECONDS * 1_000, ({ outcome }) =>
      outcomes.push(outcome),
    );
    expect(outcomes.filter((outcome) => outcome === "CONFIRMED").length).toBeGreaterThan(0);
    // Product pages read twice (a miss, then a hit from the edge's cache) and a declined card, so the cache
    // ratio and the rejections have something to show.
    for (const sku of [...skus, ...skus]) {
      const read = await client.call("GET", `/v1/catalog/products/${sku}?storeId=${storeId}`);
      expect(read.status).toBe(200);
      await read.body?.cancel();
    }
    const declined = shoppers[2] as string;
    await client.json(
      client.call("PUT", `/v1/cart/items/${skus[0]}`, { token: declined, body: { storeId, quantity: 1 } }),
      "cart",
    );
    await client.json(
      client.call("POST", "/v1/orders", {
        token: declined,
        body: { storeId, address: shop.address, payment: { token: "tok_declined" } },
        headers: { "idempotency-key": crypto.randomUUID(), prefer: "wait=10" },
      }),
      "declined checkout",
    );

    // The page polls every 2 s: the figures it shows now come from the load.
    await until(page, `Number(document.getElementById("orders-per-second").textContent) > 0`);
    expect(await number(page, "orders-per-second")).toBeGreaterThan(0);
    expect(await number(page, "checkout-p50")).toBeGreaterThan(0);
    expect(await number(page, "checkout-p99")).toBeGreaterThanOrEqual(await number(page, "checkout-p50"));
    await until(page, `document.getElementById("cache-hit-ratio").textContent.endsWith("%")`);
    await until(page, `document.getElementById("rejections").textContent.includes("PAYMENT_DECLINED")`);
    // Confirmed orders wait for their riders: the store's row counts them as open.
    await until(
      page,
      `[...document.querySelectorAll("#stores tr")].some((row) =>
        row.children[0].textContent === ${JSON.stringify(storeId)} && Number(row.children[1].textContent) > 0)`,
    );
    // Two more polls, so the charts hold a few points, before the picture for the docs.
    await page.waitForTimeout(4_000);
    mkdirSync(join(root, "docs/img"), { recursive: true });
    await page.screenshot({ path: join(root, "docs/img/ops.png"), fullPage: true });

    // A shopper's token: the API says 403, and the page signs out saying why.
    const shopper = shoppers[1] as string;
    const refused = await client.call("GET", "/v1/admin/ops/summary", { token: shopper });
    expect(refused.status).toBe(403);
    await page.evaluate(`sessionStorage.setItem("qc.ops.token", ${JSON.stringify(shopper)})`);
    await page.reload();
    await until(page, `document.getElementById("error").textContent.includes("403")`);
    expect(await page.locator("#dashboard").isHidden()).toBe(true);

    // Stopped, the run takes its topics with it: the broker is shared with every later test and bench.
    const stopping = platform;
    platform = undefined;
    await stopping.stop();
    const kafka = new Admin({ clientId: `ops-${run}-check`, bootstrapBrokers: config.KAFKA_BROKERS });
    try {
      const left = (await kafka.listTopics()).filter((topic) => topic.startsWith(config.TOPIC_PREFIX));
      expect(left).toEqual([]);
    } finally {
      await kafka.close();
    }
  }, 600_000);
});
