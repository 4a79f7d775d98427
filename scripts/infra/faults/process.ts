import type { Subprocess } from "bun";

/** True while the child has neither exited nor been killed by a signal. */
export const alive = (child: Subprocess | undefined): boolean =>
  child !== undefined && child.exitCode === null && child.signalCode === null;

/** Stops a child with `signal` (default SIGTERM; SIGKILL when `crash`), then SIGKILL after `graceMs`. */
export async function stopChild(
  child: Subprocess,
  options: { crash?: boolean; signal?: NodeJS.Signals; graceMs?: number } = {},
) {
  if (!alive(child)) return;
  child.kill(options.crash ? "SIGKILL" : (options.signal ?? "SIGTERM"));
  const killer = setTimeout(() => child.kill("SIGKILL"), options.graceMs ?? 15_000);
  await child.exited;
  clearTimeout(killer);
}

/** Polls `probe` until it answers true; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} did not come up within ${timeoutMs / 1000}s`);
    await Bun.sleep(150);
  }
}

// A dependency is restarted on its port mid-test: the port must not meanwhile become an outgoing connection's.
export { quietPort as freePort } from "../../../core/shared/testing/ports";

/** A dependency the harness can take away and bring back during a test. */
export interface Controllable {
  /** Stops it; `crash` kills it without a chance to clean up. */
  stop(options?: { crash?: boolean }): Promise<void>;
  /** Starts it again on the same port and storage, and waits until it answers. */
  start(): Promise<void>;
  readonly running: boolean;
}
