/**
 * A viewer of a `text/event-stream` over its own raw HTTP/1.1 socket (`Bun.connect`), for holding thousands
 * of streams from one bench process: each costs a socket and a few strings, where Bun's fetch would queue
 * every request past its 256 in flight (BUN_CONFIG_MAX_HTTP_REQUESTS). It reads the status line, de-chunks a
 * chunked body and splits SSE frames; a frame with an `id:` is an event.
 */
import type { Socket } from "bun";

export interface SseViewerOptions {
  /** The stream's address (http only). */
  url: URL;
  headers?: Record<string, string>;
  /** Resumes after this event id (`Last-Event-ID`). */
  lastEventId?: number;
  /** Called with each event's id as its frame is complete, with performance.now() then. */
  onEvent?: (id: number, at: number) => void;
}

export class SseViewer {
  /** The answer's status (0 until its head has come). */
  status = 0;
  /** The ids of the events received, in order. */
  readonly ids: number[] = [];
  /** Resolves on the stream's first frame (the edge sends `retry:` at once); rejects on another status. */
  readonly ready: Promise<void>;
  /** Resolves when the socket is closed, by either side. */
  readonly closed: Promise<void>;

  private socket: Socket | undefined;
  private head = "";
  private headDone = false;
  private chunked = false;
  private raw = "";
  private text = "";
  private connected = false;
  private settle!: (error?: Error) => void;
  private ended!: () => void;

  constructor(private readonly options: SseViewerOptions) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = (error) => (error ? reject(error) : resolve());
    });
    this.ready.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.ended = resolve;
    });
  }

  /** Connects and sends the request; `ready` tells when the stream is flowing. */
  async open(): Promise<void> {
    const { url, headers = {}, lastEventId } = this.options;
    const request = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      "Accept: text/event-stream",
      ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
      ...(lastEventId === undefined ? [] : [`Last-Event-ID: ${lastEventId}`]),
      "",
      "",
    ].join("\r\n");
    try {
      this.socket = await Bun.connect({
        hostname: url.hostname,
        port: Number(url.port || 80),
        socket: {
          open: (socket) => void socket.write(request),
          data: (_socket, data) => this.receive(data.toString("latin1")),
          close: () => this.gone(new Error("closed before the stream started")),
          end: (socket) => void socket.end(),
          error: (_socket, error) => this.gone(error),
          connectError: (_socket, error) => this.gone(error),
        },
      });
    } catch (error) {
      this.gone(error instanceof Error ? error : new Error(String(error)));
    }
  }

  close(): void {
    this.socket?.end();
  }

  private gone(error: Error) {
    this.settle(error);
    this.ended();
  }

  private receive(input: string) {
    let body = input;
    if (!this.headDone) {
      this.head += input;
      const end = this.head.indexOf("\r\n\r\n");
      if (end < 0) return;
      body = this.head.slice(end + 4);
      const head = this.head.slice(0, end);
      this.headDone = true;
      this.status = Number(head.split(" ")[1]);
      this.chunked = /^transfer-encoding:\s*chunked\s*$/im.test(head);
      if (this.status !== 200) {
        this.settle(new Error(`status ${this.status}`));
        this.close();
        return;
      }
    }
    if (this.chunked) {
      this.raw += body;
      this.dechunk();
    } else this.text += body;
    this.frames();
  }

  private dechunk() {
    for (;;) {
      const line = this.raw.indexOf("\r\n");
      if (line < 0) return;
      const size = Number.parseInt(this.raw.slice(0, line), 16);
      if (size === 0) {
        this.raw = "";
        return; // the last chunk: the server ended the stream
      }
      if (this.raw.length < line + 2 + size + 2) return;
      this.text += this.raw.slice(line + 2, line + 2 + size);
      this.raw = this.raw.slice(line + 2 + size + 2);
    }
  }

  private frames() {
    for (let end = this.text.indexOf("\n\n"); end >= 0; end = this.text.indexOf("\n\n")) {
      const frame = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      if (!this.connected) {
        this.connected = true;
        this.settle();
      }
      const id = /^id: (\d+)$/m.exec(frame);
      if (id) {
        const value = Number(id[1]);
        this.ids.push(value);
        this.options.onEvent?.(value, performance.now());
      }
    }
  }
}
