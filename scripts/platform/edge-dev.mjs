/**
 * The edge under wrangler's dev server (the same one `wrangler dev` starts: workerd, its proxy, local KV and
 * Durable Objects) with DevTools' inspector off, which `wrangler dev` cannot turn off from its command line.
 * With the inspector on, every subrequest of the Worker raises DevTools Network events that wrangler's
 * inspector proxy sends to its Node process one request each, where they are formatted and appended to
 * wrangler's debug log file: CPU per request that Cloudflare does not spend. The benches start the edge this
 * way; `npm run dev` keeps `wrangler dev` (and DevTools).
 * `node scripts/platform/edge-dev.mjs <wrangler.toml> <host> <port> <persist dir> <log level> <vars as JSON>`
 * Runs in Node, as the wrangler CLI does.
 */
import { unstable_startWorker } from "wrangler";

const [config, hostname, port, persist, logLevel, varsJson] = process.argv.slice(2);
const vars = JSON.parse(varsJson ?? "{}");

const worker = await unstable_startWorker({
  config,
  bindings: Object.fromEntries(
    Object.entries(vars).map(([name, value]) => [name, { type: "plain_text", value: String(value) }]),
  ),
  dev: {
    inspector: false,
    server: { hostname, port: Number(port) },
    persist,
    logLevel,
    watch: false,
    liveReload: false,
  },
});
await worker.ready;
console.log(`edge ready on http://${hostname}:${port} (wrangler's dev server, inspector off)`);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"])
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    await worker.dispose().catch(() => {});
    process.exit(0);
  });
