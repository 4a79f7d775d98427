import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { SQL } from "bun";
import { alive, type Controllable, freePort, stopChild, waitUntil } from "./process";

const BIN = "/usr/lib/postgresql/15/bin";
const POSTGRES_UID = 101;
const POSTGRES_GID = 104;

export interface PrivatePostgres extends Controllable {
  port: number;
  /** URL of a database on this cluster (trust auth, user postgres). */
  url(database?: string): string;
  /** Stops it and deletes its storage. */
  destroy(): Promise<void>;
}

// initdb refuses to run as root; the cluster belongs to the machine's postgres user instead. setpriv execs
// in place (unlike runuser, which forks), so signals to our child reach postgres itself.
const asPostgres = (command: string[]) =>
  process.getuid?.() === 0
    ? ["setpriv", `--reuid=${POSTGRES_UID}`, `--regid=${POSTGRES_GID}`, "--init-groups", ...command]
    : command;

/**
 * A PostgreSQL cluster of the harness's own (never the machine's on 5432): initdb into a temp folder,
 * then `postgres` on its own port, so a test may stop, crash and restart it.
 */
export async function startPrivatePostgres(options: { port?: number } = {}): Promise<PrivatePostgres> {
  const port = options.port ?? freePort();
  const dir = mkdtempSync(join(tmpdir(), "qc-faults-pg-"));
  if (process.getuid?.() === 0) chownSync(dir, POSTGRES_UID, POSTGRES_GID);
  const data = join(dir, "data");
  const init = Bun.spawn(
    asPostgres([`${BIN}/initdb`, "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"]),
    { stdout: "ignore", stderr: "pipe" },
  );
  if ((await init.exited) !== 0) throw new Error(`initdb failed: ${await new Response(init.stderr).text()}`);

  let child: Subprocess | undefined;
  const url = (database = "postgres") => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const answers = async () => {
    const sql = new SQL({ url: url(), max: 1, connectionTimeout: 1 });
    try {
      await sql`select 1`;
      return true;
    } finally {
      await sql.close();
    }
  };
  const start = async () => {
    child = Bun.spawn(
      asPostgres([
        `${BIN}/postgres`,
        "-D",
        data,
        "-p",
        String(port),
        "-k",
        dir,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "fsync=off",
        "-c",
        "max_connections=200",
      ]),
      { stdout: "ignore", stderr: "ignore" },
    );
    await waitUntil(`postgres on ${port}`, answers);
  };
  const stop = async ({ crash = false } = {}) => {
    if (!child) return;
    // SIGINT is postgres' "fast" shutdown; SIGKILL leaves it to recover from its WAL on the next start.
    await stopChild(child, { crash, signal: "SIGINT", graceMs: 20_000 });
    // Backends notice their postmaster died and exit; the next start needs their shared memory gone.
    if (crash) await Bun.sleep(500);
  };
  await start();
  return {
    port,
    url,
    start,
    stop,
    get running() {
      return alive(child);
    },
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
