import { DurableObject } from "cloudflare:workers";
import { type OrderLiveEvent, terminalOrderStatuses } from "@qc/contracts";

/** A comment line every 15 s keeps idle proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** How long a finished order's changes stay resumable before its storage is dropped. */
const RETAIN_AFTER_FINAL_MS = 60 * 60 * 1000;
/** An order that never reports a final status (a lost push) is dropped this long after its last change. */
const RETAIN_IDLE_MS = 24 * 60 * 60 * 1000;
/** Tells an EventSource how long to wait before it reconnects. */
const RETRY_MS = 2_000;

const encoder = new TextEncoder();
const frame = (event: OrderLiveEvent) =>
  encoder.encode(`id: ${event.id}\nevent: order\ndata: ${JSON.stringify(event)}\n\n`);
const isFinal = (event: OrderLiveEvent) =>
  (terminalOrderStatuses as readonly string[]).includes(event.status);
const keyOf = (id: number) => `change:${String(id).padStart(16, "0")}`;

/**
 * One per order: the fan-out of its live changes. Core pushes each change once (the edge's
 * `/internal/orders/:id/live`), however many shoppers' tabs follow the order; each viewer holds a stream to
 * this object, not to core. Changes are kept (ordered by their id, the instant of the change) so a viewer
 * that reconnects with `Last-Event-ID` gets exactly what it missed; a change pushed twice is kept once.
 * After the order's final change the streams end and, an hour later, the storage goes.
 */
export class OrderEvents extends DurableObject<Env> {
  private readonly viewers = new Set<WritableStreamDefaultWriter<Uint8Array>>();
  private keepalive: ReturnType<typeof setInterval> | undefined;

  /** Records changes not seen before, in id order, and sends them to every viewer. */
  async publish(events: OrderLiveEvent[]): Promise<number> {
    const last = (await this.ctx.storage.get<number>("last")) ?? 0;
    const fresh = events.filter((event) => event.id > last).sort((a, b) => a.id - b.id);
    if (fresh.length === 0) return 0;
    const newest = fresh.at(-1) as OrderLiveEvent;
    await this.ctx.storage.put({
      ...Object.fromEntries(fresh.map((event) => [keyOf(event.id), event])),
      last: newest.id,
    });
    for (const event of fresh) this.broadcast(frame(event));
    await this.ctx.storage.setAlarm(Date.now() + (isFinal(newest) ? RETAIN_AFTER_FINAL_MS : RETAIN_IDLE_MS));
    if (isFinal(newest)) this.closeAll();
    return fresh.length;
  }

  /**
   * A viewer's stream: what it missed after `Last-Event-ID`, then every change as it comes. A viewer of a
   * finished order that missed nothing gets 204, which tells an EventSource to stop reconnecting.
   */
  override async fetch(request: Request): Promise<Response> {
    const after = Number(request.headers.get("last-event-id") ?? 0) || 0;
    // One read, no other await before the viewer is registered: a publish cannot slip in between.
    const changes = [...(await this.ctx.storage.list<OrderLiveEvent>({ prefix: "change:" })).values()];
    const missed = changes.filter((event) => event.id > after);
    const finished = changes.length > 0 && isFinal(changes.at(-1) as OrderLiveEvent);
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
