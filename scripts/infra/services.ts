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
// Stock transfers between inventory shard databases use PREPARE TRANSACTION, which Postgres refuses while
// this is 0 (its default): room for every transfer in flight on both its participants.
const MIN_PREPARED_TRANSACTIONS = 64;

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

const setting = async (databaseUrl: string, name: string) =>
  Number((await adminQuery(databaseUrl, `show ${name}`))[0]?.[name] ?? 0);

/** Raises each setting still below its minimum (`alter system`); true when one changed (a restart applies it). */
async function raiseSettings(databaseUrl: string, minimums: Record<string, number>): Promise<boolean> {
  let changed = false;
  for (const [name, minimum] of Object.entries(minimums)) {
    if ((await setting(databaseUrl, name)) >= minimum) continue;
    await adminQuery(databaseUrl, `alter system set ${name} = ${minimum}`);
    changed = true;
  }
  return changed;
}

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
  // default 100 connections, and stock transfers need prepared transactions: raise both once (a restart
  // applies them) on a machine that still has the defaults.
  const raised = await raiseSettings(databaseUrl, {
    max_connections: MIN_CONNECTIONS,
    max_prepared_transactions: MIN_PREPARED_TRANSACTIONS,
  });
  if (raised) {
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
