/**
 * A free TCP port on 127.0.0.1 below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768+):
 * a port the OS hands out for `port: 0` can meanwhile become the source port of an outgoing connection
 * (Kafka, Postgres, fetch), so a server started a minute later finds it taken. Ports below the range are
 * only ever taken by a server that asks for them.
 */
export function quietPort(
  range: { from: number; to: number } = { from: 20_000, to: 32_000 },
  taken: ReadonlySet<number> = new Set(),
): number {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from));
    if (taken.has(port)) continue;
    try {
      const server = Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } });
      server.stop(true);
      return port;
    } catch {
      // taken: try another
    }
  }
  throw new Error(`no free port between ${range.from} and ${range.to}`);
}

/**
 * `count` free ports, all different: ports handed out together are not listened on until their servers start,
 * so each must also differ from the others (a service's gRPC port is picked with its HTTP port, not derived).
 */
export function quietPorts(count: number): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(quietPort(undefined, picked));
  return [...picked];
}
