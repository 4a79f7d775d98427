import { describe, expect, it } from "bun:test";
import { forEachLine, lineFormatter } from "./output";

describe("lineFormatter", () => {
  const line = JSON.stringify({
    level: 40,
    time: Date.UTC(2026, 0, 1, 10, 21, 7, 412),
    pid: 4242,
    hostname: "box",
    service: "order",
    orderId: "0193a000-0000-7000-8000-000000000001",
    msg: "handler failed; retrying",
  });

  it("prints a pino line as one readable line behind the service's name", () => {
    const shown = lineFormatter("pretty")("order", line);
    expect(shown).toStartWith("[order]");
    expect(shown).toContain("WARN");
    expect(shown).toContain("handler failed; retrying");
    expect(shown).toContain("0193a000-0000-7000-8000-000000000001");
    expect(shown).not.toContain('"level"');
    expect(shown).not.toContain("4242");
    expect(shown).not.toContain("\n");
  });

  it("keeps the raw JSON when asked, and passes other lines through", () => {
    expect(lineFormatter("json")("order", line)).toBe(`[order]    ${line}`);
    expect(lineFormatter("pretty")("edge", "Ready on http://127.0.0.1:8787")).toBe(
      "[edge]     Ready on http://127.0.0.1:8787",
    );
    expect(lineFormatter("pretty")("edge", "{not json")).toBe("[edge]     {not json");
  });
});

describe("forEachLine", () => {
  it("splits a stream into lines whatever its chunks, the last unterminated line included", async () => {
    const chunks = ["one\ntw", "o\n", "thr", "ee\nfour"].map((text) => new TextEncoder().encode(text));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(chunk);
        controller.close();
      },
    });
    const lines: string[] = [];
    await forEachLine(stream, (line) => lines.push(line));
    expect(lines).toEqual(["one", "two", "three", "four"]);
  });
});
