import { existsSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dir, "../..");
const home = join(root, ".qc/zipkin");
const VERSION = "3.6.1";
const jar = join(home, `zipkin-server-${VERSION}-exec.jar`);

export interface ZipkinServer {
  /** Base URL of the UI and API, e.g. http://127.0.0.1:9411. */
  url: string;
  /** Where services send spans (ZIPKIN_URL). */
  spansUrl: string;
  /** True when this call started the server (and so may stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

/** Downloads Zipkin's self-contained server jar from Maven Central once; later calls find it under .qc/. */
export async function fetchZipkin(): Promise<string> {
  if (existsSync(jar)) return jar;
  mkdirSync(home, { recursive: true });
  const mvn = Bun.spawn(
    [
      "mvn",
      "-q",
      "-B",
      "dependency:copy",
      `-Dartifact=io.zipkin:zipkin-server:${VERSION}:jar:exec`,
      `-DoutputDirectory=${home}`,
    ],
    { stdout: "inherit", stderr: "inherit" },
  );
  if ((await mvn.exited) !== 0) throw new Error("mvn could not fetch zipkin-server from Maven Central");
  return jar;
}

const answers = async (url: string) => {
  try {
    return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
};

/**
 * Starts Zipkin with in-memory storage unless one already answers on the port, and waits until it is
 * healthy. `stop()` shuts it down (SIGTERM, then SIGKILL).
 */
export async function startZipkin(
  options: { port?: number; log?: (line: string) => void } = {},
): Promise<ZipkinServer> {
  const port = options.port ?? 9411;
  const url = `http://127.0.0.1:${port}`;
  const spansUrl = `${url}/api/v2/spans`;
  if (await answers(url)) return { url, spansUrl, owned: false, stop: async () => {} };

  await fetchZipkin();
  const logFile = Bun.file(join(home, `zipkin-${port}.log`));
  const child = Bun.spawn(
    ["java", "-Xms64m", "-Xmx384m", "-jar", jar, `--server.port=${port}`, "--server.address=127.0.0.1"],
    { env: { ...process.env, STORAGE_TYPE: "mem" }, stdout: logFile, stderr: logFile },
  );
  const deadline = Date.now() + 90_000;
  while (!(await answers(url))) {
    if (child.exitCode !== null) throw new Error(`zipkin exited with ${child.exitCode}; see ${logFile.name}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`zipkin did not answer on ${url} within 90s; see ${logFile.name}`);
    }
    await Bun.sleep(300);
  }
  options.log?.(`zipkin ready on ${url} (pid ${child.pid})`);

  return {
    url,
    spansUrl,
    owned: true,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(killer);
    },
  };
}
