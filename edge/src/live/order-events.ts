import { DurableObject } from "cloudflare:workers";
import { isTerminalStatus, type OrderLiveEvent } from "@qc/contracts";

/** A comment line every 15 s keeps idle proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** How long a finished order's changes stay resumable before its storage is dropped. */
const RETAIN_AFTER_FINAL_MS = 60 * 60 * 1000;
/** An order that never reports a final status (a lost push) is dropped this long after its last change. */
const RETAIN_IDLE_MS = 24 * 60 * 60 * 1000;
/** Tells an EventSource how long to wait before it reconnects. */
const RETRY_MS = 2_000;

const encoder = new TextEncoder();
const isPosition = (event: OrderLiveEvent) => event.rider !== undefined;
/**
 * A status change carries its id, which a reconnecting EventSource sends back as `Last-Event-ID`. A position
 * carries none: its id is delivery's clock, not order's, so it must never become the point a viewer resumes
 * from (a status change stamped earlier but pushed later would be skipped); the latest position is sent to
 * every viewer that (re)connects instead.
 */
const frame = (event: OrderLiveEvent) =>
  encoder.encode(
    isPosition(event)
      ? `event: position\ndata: ${JSON.stringify(event)}\n\n`
      : `id: ${event.id}\nevent: order\ndata: ${JSON.stringify(event)}\n\n`,
  );
const isFinal = (event: OrderLiveEvent) => isTerminalStatus(event.status);
const keyOf = (id: number) => `change:${String(id).padStart(16, "0")}`;
/** Only the rider's latest position is kept: a viewer who comes back wants where the rider is, not the trail. */
const POSITION_KEY = "position";
const byId = (a: OrderLiveEvent, b: OrderLiveEvent) => a.id - b.id;
/** What a viewer sees of a change; a change that shows the same as the one before is not shown again. */
const shownOf = (event: OrderLiveEvent) => JSON.stringify([event.status, event.reason, event.etaMinutes]);

/**
 * One per order: the fan-out of its live changes. Core pushes each change once (the edge's
 * `/internal/orders/:id/live`), however many shoppers' tabs follow the order; each viewer holds a stream to
 * this object, not to core. Changes are kept (ordered by their id, the instant of the change) so a viewer
 * that reconnects with `Last-Event-ID` gets exactly what it missed, then the rider's latest position; a change
 * pushed twice is kept once, and so is the order pushed again as it stands with nothing a viewer sees changed
 * (core pushes the order as it is when an older event arrives: its `updatedAt`, the id, may have moved on).
 * After the order's final change the streams end and, an hour later, the storage goes.
 */
export class OrderEvents extends DurableObject<Env> {
  private readonly viewers = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private keepalive: ReturnType<typeof setInterval> | undefined;

  /**
   * Records changes not seen before, in id order, and sends them to every viewer. A rider position replaces
   * the one kept before it; one older than it, or any after the order's final change, is dropped.
   */
  async publish(events: OrderLiveEvent[]): Promise<number> {
    const stored = await this.ctx.storage.get<unknown>(["last", "shown", POSITION_KEY, "final"]);
    const last = (stored.get("last") as number | undefined) ?? 0;
    if (stored.get("final")) return 0;
    const kept = stored.get(POSITION_KEY) as OrderLiveEvent | undefined;
    let shown = stored.get("shown") as string | undefined;
    const changes = events
      .filter((event) => !isPosition(event) && event.id > last)
      .sort(byId)
      .filter((event) => {
        const next = shownOf(event);
        if (next === shown) return false;
        shown = next;
        return true;
      });
    const position = events
      .filter((event) => isPosition(event) && event.id > (kept?.id ?? 0))
      .sort(byId)
      .at(-1);
    const newest = changes.at(-1);
    const final = newest !== undefined && isFinal(newest);
    const fresh = [...changes, ...(position && !final ? [position] : [])].sort(byId);
    if (fresh.length === 0) return 0;
    await this.ctx.storage.put({
      ...Object.fromEntries(changes.map((event) => [keyOf(event.id), event])),
      ...(newest ? { last: newest.id, shown } : {}),
      ...(position && !final ? { [POSITION_KEY]: position } : {}),
      ...(final ? { final: true } : {}),
    });
    for (const event of fresh) this.broadcast(frame(event));
    await this.ctx.storage.setAlarm(Date.now() + (final ? RETAIN_AFTER_FINAL_MS : RETAIN_IDLE_MS));
    if (final) this.closeAll();
    return fresh.length;
  }

  /**
   * A viewer's stream: what it missed after `Last-Event-ID`, then every change as it comes. A viewer of a
   * finished order that missed nothing gets 204, which tells an EventSource to stop reconnecting.
   */
  override async fetch(request: Request): Promise<Response> {
    const after = Number(request.headers.get("last-event-id") ?? 0) || 0;
    // Reads only, no other await before the viewer is registered: a publish cannot slip in between (the
    // object's input gate holds events back while storage is read).
    const changes = [...(await this.ctx.storage.list<OrderLiveEvent>({ prefix: "change:" })).values()];
    const position = await this.ctx.storage.get<OrderLiveEvent>(POSITION_KEY);
    const finished = changes.length > 0 && isFinal(changes.at(-1) as OrderLiveEvent);
    const missed = [
      ...changes.filter((event) => event.id > after),
      ...(position && !finished ? [position] : []),
    ];
    if (finished && missed.length === 0) return new Response(null, { status: 204 });
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    void writer.write(encoder.encode(`retry: ${RETRY_MS}\n\n`));
    for (const event of missed) void writer.write(frame(event));
    if (finished) void writer.close();
    else this.watch(writer, request.signal);
    return new Response(readable, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  override async alarm(): Promise<void> {
    this.closeAll();
    await this.ctx.storage.deleteAll();
  }

  private watch(writer: WritableStreamDefaultWriter<Uint8Array>, gone: AbortSignal) {
    this.viewers.add(writer);
    gone.addEventListener("abort", () => this.drop(writer));
    this.keepalive ??= setInterval(() => this.broadcast(encoder.encode(": keepalive\n\n")), KEEPALIVE_MS);
  }

  private broadcast(bytes: Uint8Array) {
    for (const writer of this.viewers) writer.write(bytes).catch(() => this.drop(writer));
  }

  private drop(writer: WritableStreamDefaultWriter<Uint8Array>) {
    this.viewers.delete(writer);
    writer.close().catch(() => {});
    if (this.viewers.size === 0 && this.keepalive) {
      clearInterval(this.keepalive);
      this.keepalive = undefined;
    }
  }

  private closeAll() {
    for (const writer of [...this.viewers]) this.drop(writer);
  }
}
