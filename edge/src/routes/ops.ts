import { type OpsSummary, OpsSummaryQuery, StoreLoadList } from "@qc/contracts";
import { type Context, Hono } from "hono";
import { breakerState, callCore } from "../core/call";
import { services } from "../core/services";
import type { AppEnv } from "../env";
import { requireRole } from "../middleware/roles";
import { validate } from "../middleware/validate";
import { coreFigures } from "../ops/core-metrics";
import { edgeTraffic, opsSource } from "../ops/source";
import { signedIn } from "./limits";

/** Open orders per store from the order service, asked with the admin's identity; null when it does not answer. */
async function storeLoads(c: Context<AppEnv>): Promise<OpsSummary["stores"]> {
  try {
    const response = await callCore(c.env, {
      service: "order",
      method: "GET",
      path: "/v1/admin/ops/stores",
      user: c.get("user"),
      requestId: c.get("requestId"),
      traceparent: c.get("traceparent"),
    });
    return response.ok ? StoreLoadList.parse(await response.json()).stores : null;
  } catch {
    return null;
  }
}

// The page runs only the Worker's own script and uPlot from the Worker's assets; text goes in through
// textContent only. The token lives in sessionStorage: gone with the tab, never in a cookie.
const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>QuickCommerce operations</title>
    <link rel="stylesheet" href="/uPlot.min.css" />
    <style>
      body{font:14px/1.4 system-ui,sans-serif;margin:1rem 1.5rem;color:#222}
      h1{font-size:1.3rem;margin:0 0 .8rem}h2{font-size:1rem;margin:1rem 0 .4rem}
      form{display:flex;gap:.5rem;align-items:center}input{padding:.3rem}
      #error{color:#b00020;margin:.5rem 0}[hidden]{display:none!important}
      .tiles{display:flex;flex-wrap:wrap;gap:.8rem}.tile{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:9rem}
      .tile b{display:block;font-size:1.6rem}.tile span{color:#666}
      .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
      table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eee;padding:.2rem .4rem;text-align:left}
      .open{color:#b00020;font-weight:600}.half-open{color:#b36b00;font-weight:600}.down{color:#b00020}
    </style>
  </head>
  <body>
    <h1>QuickCommerce operations</h1>
    <form id="login">
      <input id="email" type="email" placeholder="admin email" autocomplete="username" required />
      <input id="password" type="password" placeholder="password" autocomplete="current-password" required />
      <button type="submit">Sign in</button>
    </form>
    <div id="error" role="alert"></div>
    <main id="dashboard" hidden>
      <p><button id="logout" type="button">Sign out</button> <span id="updated"></span></p>
      <div class="tiles">
        <div class="tile"><span>orders/s</span><b id="orders-per-second">–</b></div>
        <div class="tile"><span>checkout p50 (ms)</span><b id="checkout-p50">–</b></div>
        <div class="tile"><span>checkout p99 (ms)</span><b id="checkout-p99">–</b></div>
        <div class="tile"><span>cache hit ratio</span><b id="cache-hit-ratio">–</b></div>
        <div class="tile"><span>requests in window</span><b id="requests">–</b></div>
        <div class="tile"><span>consumer lag</span><b id="lag-total">–</b></div>
      </div>
      <div class="grid">
        <section><h2>Orders/s</h2><div id="chart-orders"></div></section>
        <section><h2>Checkout latency (ms)</h2><div id="chart-latency"></div></section>
        <section><h2>Consumer lag (messages)</h2><div id="chart-lag"></div></section>
        <section><h2>Open orders per store</h2><table><thead><tr><th>store</th><th>open</th><th>avg ETA (min)</th><th>max ETA</th></tr></thead><tbody id="stores"></tbody></table></section>
        <section><h2>Rejections by reason (since order started)</h2><table><thead><tr><th>outcome</th><th>reason</th><th>count</th></tr></thead><tbody id="rejections"></tbody></table></section>
        <section><h2>429s by route</h2><table><thead><tr><th>route</th><th>count</th></tr></thead><tbody id="rate-limited"></tbody></table></section>
        <section><h2>Circuit breakers</h2><table><thead><tr><th>owner</th><th>dependency</th><th>state</th></tr></thead><tbody id="breakers"></tbody></table></section>
        <section><h2>Consumer lag by group</h2><table><thead><tr><th>service</th><th>group</th><th>lag</th></tr></thead><tbody id="lag"></tbody></table></section>
      </div>
    </main>
    <script src="/uPlot.iife.min.js"></script>
    <script src="/ops/app.js"></script>
  </body>
</html>`;

const script = `(() => {
  const TOKEN = "qc.ops.token", POINTS = 150, $ = (id) => document.getElementById(id);
  const history = { t: [], orders: [], p50: [], p99: [], lag: [] };
  let timer;
  const chart = (id, series, data) => new uPlot({ width: 420, height: 180, series: [{}, ...series] }, data, $(id));
  const charts = {
    orders: chart("chart-orders", [{ label: "orders/s", stroke: "#1565c0" }], [history.t, history.orders]),
    latency: chart("chart-latency", [{ label: "p50", stroke: "#2e7d32" }, { label: "p99", stroke: "#c62828" }], [history.t, history.p50, history.p99]),
    lag: chart("chart-lag", [{ label: "lag", stroke: "#6a1b9a" }], [history.t, history.lag]),
  };
  const rows = (id, items, cells) => {
    const body = $(id); body.textContent = "";
    for (const item of items) {
      const tr = document.createElement("tr");
      for (const [text, cls] of cells(item)) { const td = document.createElement("td"); td.textContent = String(text); if (cls) td.className = cls; tr.append(td); }
      body.append(tr);
    }
  };
  const fixed = (value, digits) => (value === null ? "–" : value.toFixed(digits));
  const show = (signedIn, error) => {
    $("login").hidden = signedIn; $("dashboard").hidden = !signedIn; $("error").textContent = error || "";
  };
  const signOut = (error) => { clearTimeout(timer); sessionStorage.removeItem(TOKEN); show(false, error); };
  async function refresh() {
    const response = await fetch("/v1/admin/ops/summary?windowSeconds=60", { headers: { authorization: "Bearer " + sessionStorage.getItem(TOKEN) } });
    if (response.status === 401 || response.status === 403) return signOut(response.status === 403 ? "This account is not an admin (403)." : "Signed out: the token expired (401).");
    if (!response.ok) { $("error").textContent = "Summary failed: " + response.status; timer = setTimeout(refresh, 2000); return; }
    const s = await response.json();
    show(true);
    const lag = s.consumerLag.reduce((sum, g) => sum + g.lag, 0);
    $("orders-per-second").textContent = s.edge.ordersPerSecond.toFixed(2);
    $("checkout-p50").textContent = fixed(s.edge.checkoutLatencyMs.p50, 0);
    $("checkout-p99").textContent = fixed(s.edge.checkoutLatencyMs.p99, 0);
    $("cache-hit-ratio").textContent = s.edge.cacheHitRatio === null ? "–" : (s.edge.cacheHitRatio * 100).toFixed(0) + "%";
    $("requests").textContent = String(s.edge.requests);
    $("lag-total").textContent = String(lag);
    $("updated").textContent = "updated " + new Date(s.generatedAt).toLocaleTimeString() + " · edge figures over " + s.windowSeconds + " s from " + s.source + " · core services up: " + s.services.filter((x) => x.up).length + "/" + s.services.length;
    history.t.push(Date.parse(s.generatedAt) / 1000); history.orders.push(s.edge.ordersPerSecond);
    history.p50.push(s.edge.checkoutLatencyMs.p50); history.p99.push(s.edge.checkoutLatencyMs.p99); history.lag.push(lag);
    for (const series of Object.values(history)) if (series.length > POINTS) series.shift();
    charts.orders.setData([history.t, history.orders]);
    charts.latency.setData([history.t, history.p50, history.p99]);
    charts.lag.setData([history.t, history.lag]);
    rows("stores", s.stores || [], (x) => [[x.storeId], [x.openOrders], [fixed(x.avgEtaMinutes, 1)], [x.maxEtaMinutes ?? "–"]]);
    rows("rejections", s.rejections, (x) => [[x.outcome], [x.reason || "–"], [x.count]]);
    rows("rate-limited", s.edge.rateLimited, (x) => [[x.route], [x.count]]);
    rows("breakers", s.breakers, (x) => [[x.owner], [x.dependency], [x.state, x.state]]);
    rows("lag", s.consumerLag, (x) => [[x.service], [x.group], [x.lag]]);
    timer = setTimeout(refresh, 2000);
  }
  $("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch("/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: $("email").value, password: $("password").value }) });
    if (!response.ok) return show(false, "Sign-in failed (" + response.status + ").");
    sessionStorage.setItem(TOKEN, (await response.json()).accessToken);
    refresh();
  });
  $("logout").addEventListener("click", () => signOut());
  if (sessionStorage.getItem(TOKEN)) refresh();
})();`;

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The operators' dashboard: `GET /ops` (a page where an admin signs in; it polls the summary every 2 s and
 * draws with uPlot, served from the Worker's assets) and `GET /v1/admin/ops/summary` (admin only): the edge's
 * traffic over the window from its request data points (OpsSource), core's figures from every service's
 * /metrics, and open orders per store from the order service.
 */
export const ops = new Hono<AppEnv>()
  .get("/ops", (c) => {
    c.header("content-security-policy", PAGE_CSP);
    return c.html(page);
  })
  .get("/ops/app.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "public, max-age=300");
    return c.body(script);
  })
  .get(
    "/v1/admin/ops/summary",
    ...signedIn,
    requireRole("admin"),
    validate("query", OpsSummaryQuery),
    async (c) => {
      const { windowSeconds } = c.req.valid("query");
      const source = opsSource(c.env, new URL(c.req.url).host);
      const [figures, core, stores] = await Promise.all([
        source.requestFigures(windowSeconds),
        coreFigures(c.env, c.get("requestId"), c.get("traceparent")),
        storeLoads(c),
      ]);
      const summary: OpsSummary = {
        generatedAt: new Date().toISOString(),
        windowSeconds,
        source: source.name,
        edge: edgeTraffic(figures, windowSeconds),
        services: core.services,
        rejections: core.rejections,
        consumerLag: core.consumerLag,
        breakers: [
          ...services.map((service) => ({
            owner: "edge",
            dependency: service,
            state: breakerState(c.env, service),
          })),
          ...core.breakers,
        ],
        stores,
      };
      c.header("cache-control", "no-store");
      return c.json(summary);
    },
  );
