import { type OrderLiveEvent, orderLivePath, signRequest } from "@qc/contracts";
import { describe, expect, it } from "vitest";
import { as, edge, env, requestId } from "../../test/helpers";

const orderId = () => `0193a000-0000-7000-8000-${crypto.randomUUID().slice(-12)}`;
const placedAt = Date.parse("2026-12-05T10:00:00.000Z");

const change = (id: string, status: OrderLiveEvent["status"], minutesLater: number): OrderLiveEvent => {
  const at = new Date(placedAt + minutesLater * 60_000);
  return { id: at.getTime(), orderId: id, status, reason: null, etaMinutes: 12, at: at.toISOString() };
};

const position = (id: string, secondsLater: number, etaMinutes: number): OrderLiveEvent => ({
  ...change(id, "OUT_FOR_DELIVERY", 0),
  id: placedAt + 12 * 60_000 + secondsLater * 1000,
  at: new Date(placedAt + 12 * 60_000 + secondsLater * 1000).toISOString(),
  etaMinutes,
  rider: { lat: 52.52 + secondsLater / 10_000, lng: 13.405 },
});

/** Core's push, signed with PURGE_SECRET as the edge verifies it. */
async function push(id: string, events: OrderLiveEvent[], secret = env.PURGE_SECRET) {
  const path = orderLivePath(id);
  const body = JSON.stringify({ events });
  const timestamp = Date.now();
  const signature = await signRequest({ secret, method: "POST", path, timestamp, body });
  return edge(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-edge-timestamp": String(timestamp),
      "x-edge-signature": signature,
    },
    body,
  });
}

/** Opens the order's stream as a shopper; `next(n)` reads until n more events arrived. */
async function follow(id: string, lastEventId?: string) {
  const response = await edge(`/v1/orders/${id}/events`, {
    headers: {
      ...(await as({ roles: ["shopper"] })),
      "x-request-id": requestId(),
      ...(lastEventId ? { "last-event-id": lastEventId } : {}),
    },
  });
  const reader = response.body?.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let ended = false;
  const events: { id: string | undefined; event: string; data: OrderLiveEvent }[] = [];
  const next = async (count: number) => {
    const wanted = events.length + count;
    while (events.length < wanted && !ended && reader) {
      const { value, done } = await reader.read();
      if (done) ended = true;
      buffer += decoder.decode(value ?? new Uint8Array());
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (.*)$/m.exec(block)?.[1];
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (data) events.push({ id, event, data: JSON.parse(data) as OrderLiveEvent });
        end = buffer.indexOf("\n\n");
      }
    }
    return events;
  };
  const untilEnd = async () => {
    while (!ended && reader) {
      const { done } = await reader.read();
      ended = done;
    }
  };
  return { response, next, untilEnd, close: () => reader?.cancel() };
}

describe("GET /v1/orders/:id/events", () => {
  it("streams the order as it stands, then each change core pushes once, and ends at the final one", async () => {
    const id = orderId();
    const viewer = await follow(id);
    expect(viewer.response.status).toBe(200);
    expect(viewer.response.headers.get("content-type")).toContain("text/event-stream");
    expect((await viewer.next(1)).map(({ data }) => data.status)).toEqual(["PENDING"]);
    const second = await follow(id);
    await second.next(1);

    const confirmed = change(id, "CONFIRMED", 1);
    expect((await push(id, [confirmed])).status).toBe(204);
    // Pushed again (a redelivered message): shown once.
    expect((await push(id, [confirmed])).status).toBe(204);
    const delivered = change(id, "DELIVERED", 20);
    expect((await push(id, [change(id, "OUT_FOR_DELIVERY", 12), delivered])).status).toBe(204);

    for (const stream of [viewer, second]) {
      const seen = await stream.next(3);
      expect(seen.map(({ data }) => data.status)).toEqual([
        "PENDING",
        "CONFIRMED",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
      ]);
      expect(seen.map(({ id: eventId }) => Number(eventId))).toEqual(
        [...seen.map(({ data }) => data.id)].sort(),
      );
      await stream.untilEnd();
    }
    // Coming back after the end (an EventSource reconnects on its own): 204 tells it to stop.
    const late = await follow(id, String(delivered.id));
    expect(late.response.status).toBe(204);
  });

  it("shows the order pushed again as it stands, with nothing a viewer sees changed, once", async () => {
    const id = orderId();
    const viewer = await follow(id);
    await viewer.next(1);
    await push(id, [change(id, "CONFIRMED", 1)]);
    // A late event's push carries the order as it is now: a newer instant, the same status, reason and ETA.
    await push(id, [change(id, "CONFIRMED", 2)]);
    await push(id, [{ ...change(id, "CONFIRMED", 3), etaMinutes: 9 }, change(id, "CANCELLED", 4)]);
    const seen = await viewer.next(3);
    // The new ETA is news to a viewer; the same order pushed again is not.
    expect(seen.map(({ data }) => data.status)).toEqual(["PENDING", "CONFIRMED", "CONFIRMED", "CANCELLED"]);
    expect(seen.map(({ data }) => data.etaMinutes).slice(1, 3)).toEqual([12, 9]);
    await viewer.untilEnd();
  });

  it("resumes after Last-Event-ID with exactly what the viewer missed", async () => {
    const id = orderId();
    const first = await follow(id);
    await first.next(1);
    const confirmed = change(id, "CONFIRMED", 1);
    await push(id, [confirmed, change(id, "PICKED_UP", 8)]);
    await first.next(2);
    await first.close();

    const resumed = await follow(id, String(confirmed.id));
    const seen = await resumed.next(1);
    expect(seen.map(({ data }) => data.status)).toEqual(["PICKED_UP"]);
    await resumed.close();
  });

  it("streams rider positions as their own events, without an id to resume from, and sends the latest to a viewer who comes back", async () => {
    const id = orderId();
    const viewer = await follow(id);
    await viewer.next(1);
    const riding = change(id, "OUT_FOR_DELIVERY", 12);
    await push(id, [riding, position(id, 2, 9)]);
    // Pushed late, older than the one shown: not shown again and not kept.
    await push(id, [position(id, 1, 10), position(id, 5, 8)]);
    const seen = await viewer.next(3);
    expect(seen.slice(1).map(({ event, data }) => [event, data.etaMinutes])).toEqual([
      ["order", 12],
      ["position", 9],
      ["position", 8],
    ]);
    expect(seen.at(-1)?.data.rider).toEqual(position(id, 5, 8).rider);
    // Positions are delivery's clock: never the point a viewer resumes from.
    expect(seen.filter(({ event }) => event === "position").map(({ id: eventId }) => eventId)).toEqual([
      undefined,
      undefined,
    ]);
    await viewer.close();

    // Back after the status change: the latest position only, not the trail.
    const resumed = await follow(id, String(riding.id));
    expect((await resumed.next(1)).map(({ data }) => data.etaMinutes)).toEqual([8]);
    const delivered = change(id, "DELIVERED", 20);
    await push(id, [delivered, position(id, 600, 0)]);
    const after = await resumed.next(1);
    expect(after.map(({ event, data }) => [event, data.status])).toEqual([
      ["position", "OUT_FOR_DELIVERY"],
      ["order", "DELIVERED"],
    ]);
    await resumed.untilEnd();
  });

  it("answers a stranger as order does (404), without a stream", async () => {
    const response = await edge(`/v1/orders/0193a000-0000-7000-8000-000000000404/events`, {
      headers: { ...(await as({ roles: ["shopper"] })), "x-request-id": requestId() },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).not.toContain("text/event-stream");
  });

  it("takes pushes only from core, and only about the order of the path", async () => {
    const id = orderId();
    expect((await push(id, [change(id, "CONFIRMED", 1)], "not-the-secret")).status).toBe(401);
    const other = await push(id, [change(orderId(), "CONFIRMED", 1)]);
    expect(other.status).toBe(400);
    expect(other.headers.get("content-type")).toContain("application/problem+json");
    expect((await push(id, [{ ...change(id, "CONFIRMED", 1), status: "LOST" as never }])).status).toBe(400);
  });
});
