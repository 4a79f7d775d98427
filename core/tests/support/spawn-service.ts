import type { Subprocess } from "bun";
import type { Config } from "../../shared/config";
import { INTERNAL_PREFIX, serviceAuthHeaders } from "../../shared/http/service-auth";
import { portOf } from "../../shared/runtime/context";
import { RUNTIME_ENV } from "../../shared/runtime/runtime-env";
import { migrateService, type ServiceDefinition } from "../../shared/runtime/service";
import { quietPort } from "../../shared/testing/ports";
import { signedRequest } from "../../shared/testing/signed-request";

const root = `${import.meta.dir}/../../..`;

/** The environment a config was parsed from, as strings a child process can read back. */
export function envOf(config: Config): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      Array.isArray(value) ? value.join(",") : String(value),
    ]),
  );
}

export interface SpawnedService {
  readonly url: string;
  /** The child's pid while it runs. */
  readonly pid: number | undefined;
  /** Sends a request signed as the edge, like TestService.call. */
  call(method: string, path: string, options?: Parameters<typeof signedRequest>[2]): Promise<Response>;
  /** SIGKILL: no shutdown hooks, no drained consumers, no flushed relay. */
  kill(): Promise<void>;
  /** Starts the service again on the same port and waits until it is ready. */
  restart(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
}

const running = (child: Subprocess) => child.exitCode === null && child.signalCode === null;

async function awaitReady(url: string, child: Subprocess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!running(child))
      throw new Error(`service exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    try {
      if ((await fetch(`${url}/health/ready`)).ok) return;
    } catch {
      // not listening yet
    }
    await Bun.sleep(100);
  }
  throw new Error(`service at ${url} not ready within ${timeoutMs} ms`);
}

/**
 * Runs `bun core/<service>/main.ts` as a child process with a test environment's config (database, topic
 * prefix, ports, deadlines), after migrating its schema, so a test can SIGKILL it mid-work and restart it.
 * `port` runs a further instance beside one on the environment's port (the port other services call).
 */
export async function spawnService(
  definition: ServiceDefinition,
  config: Config,
  extraEnv: Record<string, string> = {},
  options: { port?: number } = {},
): Promise<SpawnedService> {
  await migrateService(definition, config);
  const port = options.port ?? portOf(config, definition.name);
  const url = `http://${config.HOST}:${port}`;
  // A further instance serves gRPC on a port of its own too (callers reach the environment's instance).
  const ownPorts = options.port
    ? {
        [`${definition.name.toUpperCase()}_PORT`]: String(port),
        [`${definition.name.toUpperCase()}_GRPC_PORT`]: String(quietPort()),
      }
    : {};
  const launch = async () => {
    // QC_CPU_PROFILE_DIR: every service process writes a CPU profile there when it exits (bench diagnosis).
    const profile = process.env.QC_CPU_PROFILE_DIR
      ? [
          "--cpu-prof-md",
          `--cpu-prof-dir=${process.env.QC_CPU_PROFILE_DIR}`,
          `--cpu-prof-name=${definition.name}-${Date.now()}.md`,
        ]
      : [];
    const child = Bun.spawn([process.execPath, ...profile, `core/${definition.name}/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        ...RUNTIME_ENV,
        ...envOf(config),
        ...extraEnv,
        ...ownPorts,
      },
      stdout: "inherit",
      stderr: "inherit",
    });
    await awaitReady(url, child);
    return child;
  };
  let child = await launch();
  return {
    url,
    get pid() {
      return running(child) ? child.pid : undefined;
    },
    call: async (method, path, options = {}) => {
      // An /internal route answers only a signed service: the test calls as `tests`.
      const body = options.body === undefined ? "" : JSON.stringify(options.body);
      const headers = path.startsWith(INTERNAL_PREFIX)
        ? {
            ...options.headers,
            ...(await serviceAuthHeaders(config, "tests", definition.name, { method, path, body })),
          }
        : options.headers;
      return fetch(
        await signedRequest(method, path, {
          ...options,
          ...(headers ? { headers } : {}),
          baseUrl: url,
          secret: config.EDGE_SIGNING_SECRET,
        }),
      );
    },
    async kill() {
      child.kill("SIGKILL");
      await child.exited;
    },
    async restart() {
      if (running(child)) throw new Error("restart() needs a stopped service; kill() it first");
      child = await launch();
    },
    async stop() {
      if (!running(child)) return;
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
