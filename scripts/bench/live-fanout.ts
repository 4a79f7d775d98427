/**
 * The live order stream at the edge, fanned out: `GET /v1/orders/:id/events` held open by V viewers of one
 * real order (its `OrderEvents` Durable Object), fed by E pushes signed as core's `order-live` consumer sends
 * them (`postToEdge` to `POST /internal/orders/:id/live`, ids increasing). The platform is started as
 * `checkout-edge` starts it (support/edge-bench.ts); one shopper places one order through the edge; the
 * viewers are raw sockets of this process (support/sse-viewer.ts), opened 32 at a time until every one has
 * its stream. Prints:
 * - push → event seen, per event across the V viewers (p50, p99, max = seen by all), and the push's own answer;
 * - memory held per viewer: RSS of workerd and of wrangler's Node process (/proc) before the viewers and
 *   with them open, as KiB per viewer and viewers per MiB;
 * - CPU per 1,000 deliveries (one event to one viewer) of every process over the pushes, the viewers' opening
 *   per 1,000 viewers, holding them idle for one keepalive period, and from the edge's share the viewers one
 *   core holds at E events (and 4 keepalives) per minute;
 * - a viewer dropped halfway that reconnects with `Last-Event-ID`: how many events it is sent (only the
 *   ones it missed), and one that missed nothing (none).
 * The edge's figures come twice: the workerd that runs the Worker and its Durable Object (all there is on
 * Cloudflare), and the whole of `wrangler dev`, whose proxy workerd and Node process relay every byte.
 * Stops everything it started, and itself after 10 minutes + 1 s per 10 viewers at the latest.
 * `npm run bench -- live-fanout [V=2000] [E=20]`
 */
import { isTerminalStatus, type OrderLiveEvent, orderLivePath } from "@qc/contracts";
import { postToEdge } from "../../core/shared/http/edge-call";
import { runEdgeBench } from "./support/edge-bench";
import { checkout, inParallel, registerShoppers, seedStore, withRetries } from "./support/edge-shoppers";
import {
  type CpuRow,
  classify,
  cpuReport,
  cpuRows,
  cpuSnapshot,
  type ProcessStat,
  rssSnapshot,
} from "./support/process-cpu";
import { SseViewer } from "./support/sse-viewer";

const viewerCount = Number(process.argv[3] ?? 2000);
const eventCount = Number(process.argv[4] ?? 20);
if (!(Number.isInteger(viewerCount) && viewerCount >= 1 && Number.isInteger(eventCount) && eventCount >= 2)) {
  console.error("usage: npm run bench -- live-fanout [viewers=2000] [events=20, at least 2]");
  process.exit(2);
}
const OPEN_PARALLEL = 32;
/** How long one event may take to reach every viewer before the run counts the missing ones and goes on. */
const EVENT_TIMEOUT_MS = 30_000;
/** Between two pushes, once the first has reached everyone. */
const PUSH_GAP_MS = 200;
/**
 * CPU is also read over this long a window with the viewers open and nothing pushed: the object's keepalive
 * period, so it holds one keepalive comment to every viewer.
 */
const KEEPALIVE_MS = 15_000;
const IDLE_WINDOW_MS = KEEPALIVE_MS;
/**
 * The edge under `wrangler dev`: the workerd that runs the Worker and its Durable Objects, and in front of
 * it wrangler's proxy (another workerd, on the edge's port) and wrangler's Node process, which relays every
 * request between the two. On Cloudflare only the first exists, so its figures are given apart.
 */
const WORKER_ROLES = ["workerd"];
const EDGE_ROLES = ["workerd", "workerd-proxy", "wrangler"];

/** Sockets of this process and of workerd (one per viewer each, and workerd's own), with room to spare. */
function raiseFdLimit(needed: number, say: (line: string) => void) {
  const current = Number(Bun.spawnSync(["sh", "-c", "ulimit -n"]).stdout.toString().trim());
  if (!(current < needed)) return;
  const raised = Bun.spawnSync(["prlimit", `--pid=${process.pid}`, `--nofile=${needed}:${needed}`]);
  say(
    raised.exitCode === 0
      ? `raised the open-file limit from ${current} to ${needed} (workerd, started below, inherits it)`
      : `could not raise the open-file limit from ${current} to ${needed}: ${raised.stderr.toString().trim()}`,
  );
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const ms = (value: number) => (Number.isNaN(value) ? "-" : value.toFixed(1));

raiseFdLimit(2 * viewerCount + 4_096, (line) => console.log(`[live-fanout] ${line}`));

await runEdgeBench(
  { name: "live-fanout", timeoutSeconds: 600 + Math.ceil(viewerCount / 10) },
  async ({ platform, client, run, say }) => {
    const { config } = platform;
    const edge = new URL(platform.edgeUrl);

    say("seeding a store, one shopper and one order through the edge");
    const admin = await client.login(config.ADMIN_EMAIL, config.ADMIN_PASSWORD);
    const skus = ["LIVE-BENCH-1"];
    const storeId = await seedStore(client, admin, {
      name: `Live bench store ${run}`,
      location: { lat: 52.52, lng: 13.405 },
      skus,
      riders: 2,
    });
    const [shopper] = (await registerShoppers(client, 1, run)) as [string];
    const shop = { storeId, skus, address: { line1: "Bench street 1", lat: 52.521, lng: 13.407 } };
    const orderId = await withRetries(
      "placing the order",
      async () => {
        const placed = await checkout(client, shopper, shop, true);
        if (placed.outcome !== "CONFIRMED" || !placed.orderId) throw new Error(placed.outcome);
        return placed.orderId;
      },
      20,
    );
    const order = await client.json<{ status: string }>(
      client.call("GET", `/v1/orders/${orderId}`, { token: shopper }),
      "reading the order",
    );
    if (isTerminalStatus(order.status)) throw new Error(`the order is already ${order.status}`);
    say(`order ${orderId} is ${order.status}`);

    const streamUrl = new URL(`/v1/orders/${orderId}/events`, edge);
    const auth = { authorization: `Bearer ${shopper}` };
    /** Per pushed event id: when it was pushed, when each viewer saw it (by viewer index), how many have. */
    const pending = new Map<
      number,
      { arrivals: Float64Array; seen: number; expected: number; done: () => void }
    >();
    const viewerOf = (index: number, lastEventId?: number) =>
      new SseViewer({
        url: streamUrl,
        headers: auth,
        lastEventId,
        onEvent: (id, at) => {
          const event = pending.get(id);
          if (!event || index < 0 || event.arrivals[index] !== 0) return;
          event.arrivals[index] = at;
          if (++event.seen === event.expected) event.done();
        },
      });
    const within = async <T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer in ${timeoutMs / 1000} s`)), timeoutMs);
      });
      try {
        return await Promise.race([promise, late]);
      } finally {
        clearTimeout(timer);
      }
    };

    // Warm-up: one viewer through the whole path (core's owner check, the object's seed, the stream).
    const warm = viewerOf(-1);
    await warm.open();
    await within(warm.ready, 30_000, "a first viewer");
    warm.close();
    await warm.closed;
    await Bun.sleep(2_000);

    // wrangler's proxy is the workerd listening on the edge's own port.
    const proxyEntry = `entry=${edge.hostname}:${edge.port}`;
    const roleOf = (proc: ProcessStat) => {
      const role = classify(proc);
      return role === "workerd" && proc.cmdline.includes(proxyEntry) ? "workerd-proxy" : role;
    };
    const scope = { root: process.pid, classify: roleOf };
    const rssBefore = rssSnapshot(scope);
    say(`opening ${viewerCount} viewers, ${OPEN_PARALLEL} at a time`);
    const viewers: SseViewer[] = new Array(viewerCount);
    const refused = new Map<string, number>();
    const openCpuBefore = cpuSnapshot(scope);
    const openStarted = performance.now();
    await inParallel(viewerCount, OPEN_PARALLEL, async (index) => {
      const viewer = viewerOf(index);
      viewers[index] = viewer;
      await viewer.open();
      try {
        await within(viewer.ready, 30_000, "a viewer");
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        refused.set(why, (refused.get(why) ?? 0) + 1);
        viewer.close();
      }
    });
    const openSeconds = (performance.now() - openStarted) / 1000;
    const openCpuAfter = cpuSnapshot(scope);
    // The viewer that drops out halfway and comes back with Last-Event-ID; not one of the V measured.
    const dropper = viewerOf(-1);
    await dropper.open();
    await within(dropper.ready, 30_000, "the reconnecting viewer");
    const open = viewers.filter((viewer) => viewer.status === 200).length;
    if (refused.size > 0) say(`refused or failed opens: ${JSON.stringify(Object.fromEntries(refused))}`);
    say(`${open} of ${viewerCount} viewers streaming after ${openSeconds.toFixed(1)} s`);
    if (open === 0) throw new Error("no viewer got a stream");
    await Bun.sleep(3_000);
    const rssWith = rssSnapshot(scope);
    // What holding them costs with nothing to send (a keepalive comment goes out every 15 s).
    const idleCpuBefore = cpuSnapshot(scope);
    await Bun.sleep(IDLE_WINDOW_MS);
    const idleCpuAfter = cpuSnapshot(scope);

    say(`pushing ${eventCount} events, each once every viewer has the one before`);
    const pushAnswers: number[] = [];
    const results: { id: number; pushMs: number; deltas: number[]; missing: number }[] = [];
    const missedFrom = Math.ceil(eventCount / 2);
    let lastId = 0;
    let lastSeenByDropper = 0;
    const pushCpuBefore = cpuSnapshot(scope);
    const pushStarted = performance.now();
    for (let index = 0; index < eventCount; index++) {
      if (index === missedFrom) {
        for (let waited = 0; dropper.ids.at(-1) !== lastId && waited < 5_000; waited += 20)
          await Bun.sleep(20);
        lastSeenByDropper = dropper.ids.at(-1) ?? 0;
        dropper.close();
        await dropper.closed;
      }
      const id = Math.max(Date.now(), lastId + 1);
      lastId = id;
      const event: OrderLiveEvent = {
        id,
        orderId,
        status: order.status as OrderLiveEvent["status"],
        reason: null,
        etaMinutes: Math.max(0, 30 - index),
        at: new Date(id).toISOString(),
      };
      const arrivals = new Float64Array(viewerCount);
      let done = () => {};
      const all = new Promise<void>((resolve) => {
        done = resolve;
      });
      pending.set(id, { arrivals, seen: 0, expected: open, done });
      const pushedAt = performance.now();
      const answer = await postToEdge({
        edgeUrl: platform.edgeUrl,
        secret: config.PURGE_SECRET,
        path: orderLivePath(orderId),
        body: { events: [event] },
        signal: AbortSignal.timeout(EVENT_TIMEOUT_MS),
      });
      pushAnswers.push(performance.now() - pushedAt);
      if (answer.status !== 204)
        throw new Error(`push ${index + 1}: ${answer.status} ${await answer.text()}`);
      await Promise.race([all, Bun.sleep(EVENT_TIMEOUT_MS)]);
      pending.delete(id);
      const deltas = [...arrivals].filter((at) => at > 0).map((at) => at - pushedAt);
      results.push({ id, pushMs: pushAnswers.at(-1) as number, deltas, missing: open - deltas.length });
      await Bun.sleep(PUSH_GAP_MS);
    }
    const pushSeconds = (performance.now() - pushStarted) / 1000;
    const pushCpuAfter = cpuSnapshot(scope);
    const deliveries = results.reduce((sum, { deltas }) => sum + deltas.length, 0);

    // The dropped viewer comes back with the last id it saw; a second one has seen everything.
    const resumed = viewerOf(-1, lastSeenByDropper);
    await resumed.open();
    await within(resumed.ready, 30_000, "the reconnect");
    const expectedReplay = eventCount - missedFrom;
    const replayDeadline = Date.now() + 10_000;
    while (resumed.ids.length < expectedReplay && Date.now() < replayDeadline) await Bun.sleep(50);
    await Bun.sleep(1_000); // anything beyond what it missed would come now
    resumed.close();
    const upToDate = viewerOf(-1, lastId);
    await upToDate.open();
    await within(upToDate.ready, 30_000, "the up-to-date reconnect");
    await Bun.sleep(1_000);
    upToDate.close();

    for (const viewer of viewers) viewer?.close();
    await Promise.race([Promise.all(viewers.map((viewer) => viewer?.closed)), Bun.sleep(10_000)]);

    // The figures.
    const line = (text = "") => console.log(text);
    line();
    line(
      `live-fanout: ${open} viewers of one order through the edge, ${eventCount} pushed events, ` +
        `${deliveries} deliveries in ${pushSeconds.toFixed(1)} s (${PUSH_GAP_MS} ms between an event seen by all and the next push)`,
    );
    line("per event: push → seen by the viewers (ms)");
    line(
      `  ${"#".padStart(3)}  ${"push 204".padStart(9)}  ${"p50".padStart(8)}  ${"p99".padStart(8)}  ${"all".padStart(8)}  missing`,
    );
    results.forEach(({ pushMs, deltas, missing }, index) => {
      const sorted = [...deltas].sort((a, b) => a - b);
      line(
        `  ${String(index + 1).padStart(3)}  ${ms(pushMs).padStart(9)}  ${ms(percentile(sorted, 0.5)).padStart(8)}  ` +
          `${ms(percentile(sorted, 0.99)).padStart(8)}  ${ms(sorted.at(-1) ?? Number.NaN).padStart(8)}  ${missing}`,
      );
    });
    const perEvent = results.map(({ deltas }) => [...deltas].sort((a, b) => a - b));
    const p50s = perEvent.map((sorted) => percentile(sorted, 0.5));
    const p99s = perEvent.map((sorted) => percentile(sorted, 0.99));
    const alls = perEvent.map((sorted) => sorted.at(-1) ?? Number.NaN);
    const missing = results.reduce((sum, result) => sum + result.missing, 0);

    const kib = (role: string, snapshot: Map<string, number>) => snapshot.get(role) ?? 0;
    const memory = EDGE_ROLES.map((role) => {
      const grown = kib(role, rssWith) - kib(role, rssBefore);
      return { role, before: kib(role, rssBefore), with: kib(role, rssWith), perViewer: grown / open };
    });
    const cpuOf = (rows: CpuRow[], roles: readonly string[]) =>
      rows.filter(({ role }) => roles.includes(role)).reduce((sum, { seconds }) => sum + seconds, 0);
    const pushRows = cpuRows(pushCpuBefore, pushCpuAfter, deliveries);
    const openRows = cpuRows(openCpuBefore, openCpuAfter, open);
    const idleRows = cpuRows(idleCpuBefore, idleCpuAfter, 0);
    /** The figures of one set of edge processes: the Worker's workerd alone, or all of `wrangler dev`. */
    const edgeFigures = (roles: readonly string[]) => {
      const perViewerKib = memory
        .filter(({ role }) => roles.includes(role))
        .reduce((sum, { perViewer }) => sum + perViewer, 0);
      const cpuPerDelivery = cpuOf(pushRows, roles) / deliveries;
      return {
        perViewerKib,
        cpuPerDelivery,
        // One core gives 60 CPU s a minute; a viewer costs E deliveries and 4 keepalives a minute.
        viewersPerCore: 60 / ((eventCount + 60_000 / KEEPALIVE_MS) * cpuPerDelivery),
        openPerThousand: (cpuOf(openRows, roles) * 1000) / open,
        idleShare: (cpuOf(idleRows, roles) * 1000) / IDLE_WINDOW_MS,
      };
    };
    const worker = edgeFigures(WORKER_ROLES);
    const whole = edgeFigures(EDGE_ROLES);

    line();
    line(
      `summary (edge = ${EDGE_ROLES.join(" + ")}; the Worker's workerd runs the Worker and the Durable Object)`,
    );
    const row = (name: string, value: string) => line(`  ${name.padEnd(44)} ${value}`);
    const both = (figure: (edge: typeof worker) => string) =>
      `${figure(worker)} the Worker's workerd, ${figure(whole)} the whole edge`;
    row("viewers streaming / asked", `${open} / ${viewerCount}`);
    row(
      "opening them (32 at a time)",
      `${openSeconds.toFixed(1)} s, ${(open / openSeconds).toFixed(0)} viewers/s`,
    );
    row(
      "CPU s to open 1,000 viewers",
      `${both((edge) => edge.openPerThousand.toFixed(1))}, ${((cpuOf(openRows, ["total"]) * 1000) / open).toFixed(1)} every process`,
    );
    row(
      `CPU holding them idle (${IDLE_WINDOW_MS / 1000} s), % of a core`,
      `${both((edge) => (edge.idleShare * 100).toFixed(1))} (a keepalive to each, and the processes' own upkeep)`,
    );
    row(
      "push → seen, p50 (median over events)",
      `${ms(median(p50s))} ms (events' p50 from ${ms(Math.min(...p50s))} to ${ms(Math.max(...p50s))})`,
    );
    row(
      "push → seen, p99 (median over events)",
      `${ms(median(p99s))} ms (worst event ${ms(Math.max(...p99s))})`,
    );
    row(
      "push → seen by all (median over events)",
      `${ms(median(alls))} ms (worst event ${ms(Math.max(...alls))})`,
    );
    row("push answered 204 (median)", `${ms(median(pushAnswers))} ms`);
    row("deliveries missing", String(missing));
    for (const { role, before, with: held, perViewer } of memory) {
      row(
        `RSS ${role}, before → with viewers`,
        `${(before / 1024).toFixed(1)} → ${(held / 1024).toFixed(1)} MiB: ${perViewer.toFixed(1)} KiB/viewer`,
      );
    }
    row(
      "KiB per viewer",
      both((edge) => edge.perViewerKib.toFixed(1)),
    );
    row(
      "viewers per MiB",
      both((edge) => (1024 / edge.perViewerKib).toFixed(2)),
    );
    row(
      "CPU ms per 1,000 deliveries",
      both((edge) => (edge.cpuPerDelivery * 1e6).toFixed(0)),
    );
    row(
      `viewers per core at ${eventCount} events/min`,
      `${both((edge) => edge.viewersPerCore.toFixed(0))} (${eventCount} deliveries + 4 keepalives a minute each, at the push window's CPU per delivery)`,
    );
    const replayed = resumed.ids;
    const onlyMissed =
      replayed.every((id) => id > lastSeenByDropper) && new Set(replayed).size === replayed.length;
    row(
      "reconnect with Last-Event-ID after a drop",
      `${replayed.length} events sent, missed ${expectedReplay}; ${onlyMissed && replayed.length === expectedReplay ? "exactly those" : "NOT only those"}`,
    );
    row("reconnect having missed nothing", `${upToDate.ids.length} events sent`);
    line();
    cpuReport(pushCpuBefore, pushCpuAfter, deliveries, line, { one: "delivery", many: "deliveries" });
    line(
      "(the pushes are this bench's, signed as core's order-live consumer signs them; postgres, kafka and redis " +
        "are the machine's shared servers: other work on this machine counts there)",
    );
  },
);
