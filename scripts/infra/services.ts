import { readdirSync } from "node:fs";
import { connect } from "node:net";
import pg from "pg";
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

const MIN_CONNECTIONS = 300;

const adminQuery = async (databaseUrl: string, text: string) => {
  const admin = new URL(databaseUrl);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return (await client.query(text)).rows as Record<string, string>[];
  } finally {
    await client.end();
  }
};

const maxConnections = async (databaseUrl: string) =>
  Number((await adminQuery(databaseUrl, "show max_connections"))[0]?.max_connections ?? 0);

const setMaxConnections = (databaseUrl: string, connections: number) =>
  adminQuery(databaseUrl, `alter system set max_connections = ${connections}`);

/**
 * PostgreSQL and Redis are machine services here: start them when they are down (the commands this kind
 * of machine uses), then make sure the project's database exists.
 */
export async function ensureMachineServices(databaseUrl: string, redisUrl: string): Promise<void> {
  const postgres = new URL(databaseUrl);
  const pgPort = Number(postgres.port || 5432);
  const cluster = () => {
    const version = readdirSync("/etc/postgresql")[0];
    if (!version) throw new Error("no PostgreSQL cluster is installed under /etc/postgresql");
    return version;
  };
  if (!(await answers(postgres.hostname, pgPort))) {
    await run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "start"]);
    await waitFor("PostgreSQL", postgres.hostname, pgPort);
  }
  // Eight services with their own pools, plus relays' LISTEN connections and test handles, outgrow the
  // default 100 connections: raise the limit once (it needs a restart) on a machine that still has it.
  if ((await maxConnections(databaseUrl)) < MIN_CONNECTIONS) {
    await setMaxConnections(databaseUrl, MIN_CONNECTIONS);
    await run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "restart"]);
    await waitFor("PostgreSQL", postgres.hostname, pgPort);
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
