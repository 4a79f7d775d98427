import type { Socket, TCPSocketListener } from "bun";

export interface LatencyProxy {
  /** Where clients connect instead of the target, e.g. "127.0.0.1:40123". */
  host: string;
  port: number;
  /** Delay added to every chunk in each direction from now on. */
  setLatency(ms: number): void;
  /** Drops every open connection and refuses new ones until `restore()` (a partition). */
  cut(): void;
  restore(): void;
  stop(): void;
}

interface Pipe {
  upstream?: Socket<Pipe>;
  pending: Uint8Array[];
  closed: boolean;
}

/**
 * A TCP proxy in front of a dependency (Postgres, Redis, Kafka, an HTTP provider) that can slow it down
 * or cut it off while a test runs. Byte order per connection is kept: each chunk waits its delay in turn.
 */
export function startLatencyProxy(target: { host?: string; port: number }, initialMs = 0): LatencyProxy {
  let latencyMs = initialMs;
  let partitioned = false;
  const open = new Set<Socket<Pipe>>();
  // Bun writes what the kernel takes now; the rest waits here until the socket drains.
  const backlogs = new WeakMap<Socket<Pipe>, Uint8Array[]>();
  const write = (socket: Socket<Pipe>, bytes: Uint8Array) => {
    const backlog = backlogs.get(socket) ?? [];
    backlogs.set(socket, backlog);
    if (backlog.length > 0) return void backlog.push(bytes);
    const written = socket.write(bytes);
    if (written < bytes.length) backlog.push(bytes.subarray(Math.max(written, 0)));
  };
  const drain = (socket: Socket<Pipe>) => {
    const backlog = backlogs.get(socket) ?? [];
    while (backlog.length > 0) {
      const bytes = backlog[0] as Uint8Array;
      const written = socket.write(bytes);
      if (written < bytes.length) {
        backlog[0] = bytes.subarray(Math.max(written, 0));
        return;
      }
      backlog.shift();
    }
  };
  // One promise chain per direction per connection keeps chunks in order under delay.
  const chains = new WeakMap<object, Promise<void>>();
  const later = (key: object, send: () => void) => {
    const delay = latencyMs;
    const previous = chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => (delay > 0 ? Bun.sleep(delay) : undefined)).then(send);
    chains.set(key, next);
  };

  const server: TCPSocketListener<Pipe> = Bun.listen<Pipe>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { pending: [], closed: false };
        if (partitioned) {
          client.end();
          return;
        }
        open.add(client);
        try {
          const upstream = await Bun.connect<Pipe>({
            hostname: target.host ?? "127.0.0.1",
            port: target.port,
            socket: {
              data(_, chunk) {
                const copy = new Uint8Array(chunk);
                later(upstream, () => client.data.closed || write(client, copy));
              },
              drain,
              close() {
                later(upstream, () => client.end());
              },
              error() {
                client.end();
              },
            },
          });
          client.data.upstream = upstream;
          for (const chunk of client.data.pending) write(upstream, chunk);
          client.data.pending = [];
        } catch {
          client.end();
        }
      },
      data(client, chunk) {
        const copy = new Uint8Array(chunk);
        later(client, () => {
          if (client.data.upstream) write(client.data.upstream, copy);
          else client.data.pending.push(copy);
        });
      },
      drain,
      close(client) {
        client.data.closed = true;
        open.delete(client);
        later(client, () => client.data.upstream?.end());
      },
    },
  });

  return {
    host: `127.0.0.1:${server.port}`,
    port: server.port,
    setLatency(ms) {
      latencyMs = ms;
    },
    cut() {
      partitioned = true;
      for (const client of open) {
        client.data.upstream?.end();
        client.end();
      }
    },
    restore() {
      partitioned = false;
    },
    stop() {
      for (const client of open) client.end();
      server.stop(true);
    },
  };
}
