import { prettyFactory } from "pino-pretty";

/** How children's output reaches the terminal: readable one-liners, or their raw JSON lines. */
export type LogFormat = "pretty" | "json";

/**
 * Turns one line a child printed into what the terminal shows, prefixed with the child's name: a pino
 * JSON line becomes `[order] 10:21:07.412 WARN: handler failed; retrying type=… err=…` (pino-pretty, one
 * line), anything else is passed through behind the prefix.
 */
export function lineFormatter(format: LogFormat, colorize = false): (name: string, line: string) => string {
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: "HH:MM:ss.l",
    // `service` is the prefix already; pid and hostname say nothing on one machine.
    ignore: "pid,hostname,service",
  });
  const width = 10;
  return (name, line) => {
    const prefix = `[${name}]`.padEnd(width);
    if (format === "json" || !line.startsWith("{")) return `${prefix} ${line}`;
    try {
      return `${prefix} ${pretty(JSON.parse(line)).trimEnd()}`;
    } catch {
      return `${prefix} ${line}`;
    }
  };
}

/** Calls `onLine` with every complete line of a child's output stream, and the last partial one at its end. */
export async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of stream) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      onLine(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
  }
  if (buffer) onLine(buffer);
}
