/**
 * The machine's RabbitMQ (the one every test and service shares, started as `rabbitmq-server -detached`),
 * stopped and started again through `rabbitmqctl`: stop_app stops the broker (every connection drops, the port
 * closes, queues stop) while its Erlang node stays up, and start_app recovers the durable queues from disk.
 */
async function rabbitmqctl(...args: string[]): Promise<void> {
  const child = Bun.spawn(["rabbitmqctl", ...args], { stdout: "ignore", stderr: "pipe" });
  if ((await child.exited) !== 0)
    throw new Error(`rabbitmqctl ${args.join(" ")}: ${await new Response(child.stderr).text()}`);
}

/** Starts the broker and waits until it serves; if its node is gone as well, starts the node. */
async function startBroker(): Promise<void> {
  try {
    await rabbitmqctl("start_app");
  } catch {
    Bun.spawn(["rabbitmq-server", "-detached"], { stdout: "ignore", stderr: "ignore" });
  }
  await rabbitmqctl("await_startup", "--timeout", "60");
}

/**
 * Runs `whileDown` with the broker stopped, then starts it again — also when `whileDown` or the stop failed:
 * the broker is shared by everything on the machine and must be left running whatever happens.
 */
export async function withBrokerStopped<T>(whileDown: () => Promise<T>): Promise<T> {
  try {
    await rabbitmqctl("stop_app");
    return await whileDown();
  } finally {
    await startBroker();
  }
}
