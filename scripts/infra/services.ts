import { readdirSync } from "node:fs";
import { connect } from "node:net";
import { ensureDatabase } from "../../core/shared/db";

const answers = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 1_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });

async function waitFor(name: string, host: string, port: number) {
  for (let attempt = 0; attempt < 60; attempt++) {
    if (await answers(host, port)) return;
    await Bun.sleep(500);
  }
  throw new Error(`${name} did not come up on ${host}:${port}`);
}

const run = async (command: string[]) => {
  const child = Bun.spawn(command, { stdout: "ignore", stderr: "inherit" });
  await child.exited;
};

/**
 * PostgreSQL and Redis are machine services here: start them when they are down (the commands this kind
 * of machine uses), then make sure the project's database exists.
 */
export async function ensureMachineServices(databaseUrl: string, redisUrl: string): Promise<void> {
  const pg = new URL(databaseUrl);
  const pgPort = Number(pg.port || 5432);
  if (!(await answers(pg.hostname, pgPort))) {
    const version = readdirSync("/etc/postgresql")[0];
    if (!version) throw new Error("PostgreSQL is down and no cluster is installed under /etc/postgresql");
    await run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"]);
    await waitFor("PostgreSQL", pg.hostname, pgPort);
  }
  const redis = new URL(redisUrl);
  const redisPort = Number(redis.port || 6379);
  if (!(await answers(redis.hostname, redisPort))) {
    await run([
      "redis-server",
      "--daemonize",
      "yes",
      "--bind",
      "127.0.0.1",
      "--port",
      String(redisPort),
      "--save",
      "",
      "--appendonly",
      "no",
    ]);
    await waitFor("Redis", redis.hostname, redisPort);
  }
  await ensureDatabase(databaseUrl);
}
