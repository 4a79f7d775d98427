/**
 * CPU accounting per process role for the benchmarks, read from /proc (Linux only): every process is
 * classified by its command line (`core/<svc>/main.ts` → the service, `kafka.Kafka` → kafka, postgres,
 * redis, RabbitMQ's Erlang VM, workerd, wrangler, the Upstash REST server, this bench), and its utime + stime
 * summed per role.
 * Take a snapshot before and after the measured window; `cpuReport` prints CPU seconds per 1,000 orders,
 * which is also milliseconds per order (the design budget is ≈ 20 ms per order across every process).
 *
 * A role's figure is the sum over the processes alive at each snapshot, so a process that exits inside the
 * window loses what it used there — except Postgres backends, whose time the postmaster collects when it
 * reaps them (its cutime + cstime is counted too).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Role → CPU seconds (user + system) used so far by the processes of that role. */
export type CpuSnapshot = Map<string, number>;

export interface ProcessStat {
  pid: number;
  ppid: number;
  /** The kernel's short name (`comm`), e.g. `postgres`, `workerd`, `java`. */
  comm: string;
  /** Arguments joined by spaces. */
  cmdline: string;
  /** utime + stime, in seconds. */
  cpuSeconds: number;
  /** cutime + cstime (reaped children), in seconds. */
  childrenCpuSeconds: number;
}

/** The order roles are reported in; roles not listed come after, alphabetically. */
export const ROLE_ORDER = [
  "auth",
  "catalog",
  "pricing",
  "cart",
  "inventory",
  "order",
  "payment",
  "delivery",
  "core",
  "kafka",
  "postgres",
  "redis",
  "rabbitmq",
  "workerd",
  "wrangler",
  "upstash",
  "zipkin",
  "bench",
] as const;

/** Roles that are one shared server on the machine, counted even outside `root`'s process tree. */
export const MACHINE_ROLES: readonly string[] = ["postgres", "kafka", "redis", "rabbitmq"];

const clockTicks = (() => {
  try {
    const ticks = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** One process's /proc entry, or undefined when it is gone (or was never ours to read). */
export function readProcess(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // comm is in parentheses and may itself contain spaces or parentheses: split after the last ")".
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    const tick = (field: number) => Number(fields[field - 3]) / clockTicks;
    let cmdline = "";
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
    } catch {}
    return {
      pid,
      ppid: Number(fields[1]),
      comm,
      cmdline,
      cpuSeconds: tick(14) + tick(15),
      childrenCpuSeconds: tick(16) + tick(17),
    };
  } catch {
    return undefined;
  }
}

/** Every process /proc shows. */
export function listProcesses(): ProcessStat[] {
  const found: ProcessStat[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const proc = readProcess(Number(entry));
    if (proc) found.push(proc);
  }
  return found;
}

/** The role of a process, or undefined when it is none of the platform's. */
export function classify(proc: Pick<ProcessStat, "comm" | "cmdline">): string | undefined {
  const { comm, cmdline } = proc;
  const service = /core\/([a-z-]+)\/main\.ts\b/.exec(cmdline);
  if (service?.[1] === "tooling") return undefined;
  if (service) return service[1];
  if (/core\/tooling\/upstash-rest\/main\.ts\b/.test(cmdline)) return "upstash";
  if (/(^|\s|\/)core\/main\.ts\b/.test(cmdline)) return "core";
  if (/\bkafka\.Kafka\b/.test(cmdline)) return "kafka";
  if (comm === "postgres" || comm === "postmaster" || /^postgres:/.test(cmdline)) return "postgres";
  if (comm === "redis-server") return "redis";
  // RabbitMQ runs in the Erlang VM (beam.smp); its small helpers (epmd, erl_child_setup) are left out.
  if (comm === "beam.smp" && /\brabbit\b/.test(cmdline)) return "rabbitmq";
  if (comm === "workerd" || /\/workerd\s+serve\b/.test(cmdline)) return "workerd";
  if (/\bwrangler\b/.test(cmdline) || comm === "esbuild") return "wrangler";
  if (/zipkin/.test(cmdline)) return "zipkin";
  return undefined;
}

/** The pids of `root` and every process below it. */
export function treeOf(root: number, processes: readonly ProcessStat[] = listProcesses()): Set<number> {
  const children = new Map<number, number[]>();
  for (const { pid, ppid } of processes) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = new Set<number>([root]);
  const stack = [root];
  for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
    for (const child of children.get(pid) ?? []) {
      if (!tree.has(child)) {
        tree.add(child);
        stack.push(child);
      }
    }
  }
  return tree;
}

export interface SnapshotOptions {
  /**
   * Count only processes under this pid (services, workerd, the Upstash server...), so another run on a
   * shared machine is not counted; `MACHINE_ROLES` (Postgres, Kafka, Redis, RabbitMQ) are counted wherever they run.
   * Default: every process on the machine.
   */
  root?: number;
  /** The pid counted as `bench` (default this process). */
  benchPid?: number;
  /** The role of a process other than the bench (default `classify`), e.g. to tell two workerds apart. */
  classify?: (proc: ProcessStat) => string | undefined;
}

/** The processes `options` counts, each with its role. */
function* withRoles(options: SnapshotOptions): Generator<[string, ProcessStat]> {
  const benchPid = options.benchPid ?? process.pid;
  const roleOf = options.classify ?? classify;
  const processes = listProcesses();
  const tree = options.root === undefined ? undefined : treeOf(options.root, processes);
  for (const proc of processes) {
    const role = proc.pid === benchPid ? "bench" : roleOf(proc);
    if (!role) continue;
    if (tree && !tree.has(proc.pid) && !MACHINE_ROLES.includes(role) && role !== "bench") continue;
    yield [role, proc];
  }
}

/** CPU seconds used so far, summed per role. */
export function cpuSnapshot(options: SnapshotOptions = {}): CpuSnapshot {
  const snapshot: CpuSnapshot = new Map();
  for (const [role, proc] of withRoles(options)) {
    // A backend that exited is gone from /proc; the postmaster (its parent) keeps its time in cutime.
    const reaped = role === "postgres" ? proc.childrenCpuSeconds : 0;
    snapshot.set(role, (snapshot.get(role) ?? 0) + proc.cpuSeconds + reaped);
  }
  return snapshot;
}

/** Resident memory now (VmRSS of /proc/<pid>/status, in KiB), summed per role, as `cpuSnapshot` counts. */
export function rssSnapshot(options: SnapshotOptions = {}): Map<string, number> {
  const snapshot = new Map<string, number>();
  for (const [role, { pid }] of withRoles(options)) {
    try {
      const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
      snapshot.set(role, (snapshot.get(role) ?? 0) + kib);
    } catch {
      // gone in between
    }
  }
  return snapshot;
}

/**
 * Times each role's processes went to sleep waiting and were woken (`voluntary_ctxt_switches` of each process's
 * main thread in /proc/<pid>/status), summed per role. A Postgres backend wakes once per round trip, and so does
 * a Bun service's event loop for each answer it waits on: on a virtual machine where a context switch costs
 * more than most statements, this counts what the CPU figures pay for, and is steadier than they are.
 * Backends that exit in the window are not counted.
 */
export function wakeUpSnapshot(options: SnapshotOptions = {}): Map<string, number> {
  const snapshot = new Map<string, number>();
  for (const [role, { pid }] of withRoles(options)) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const woken = Number(/^voluntary_ctxt_switches:\s+(\d+)$/m.exec(status)?.[1] ?? 0);
      snapshot.set(role, (snapshot.get(role) ?? 0) + woken);
    } catch {
      // gone in between
    }
  }
  return snapshot;
}

/** One line of wake-ups per order for the roles given (see wakeUpSnapshot), in that order. */
export function wakeUpLine(
  before: Map<string, number>,
  after: Map<string, number>,
  orders: number,
  roles: readonly string[],
): string {
  const per = (role: string) => Math.max(0, (after.get(role) ?? 0) - (before.get(role) ?? 0)) / orders;
  return (
    "wake-ups per order (voluntary context switches of each process's main thread; a Postgres backend's " +
    `are its round trips): ${roles.map((role) => `${role} ${per(role).toFixed(1)}`).join(", ")}`
  );
}

export interface CpuRow {
  role: string;
  /** CPU seconds used in the window. */
  seconds: number;
  /** CPU seconds per 1,000 orders (= CPU milliseconds per order); NaN without orders. */
  perThousandOrders: number;
}

/** Per-role CPU used between two snapshots, in `ROLE_ORDER`, with a `total` row last. */
export function cpuRows(before: CpuSnapshot, after: CpuSnapshot, orders: number): CpuRow[] {
  const roles = [...new Set([...before.keys(), ...after.keys()])].sort((a, b) => {
    const rank = (role: string) => {
      const index = (ROLE_ORDER as readonly string[]).indexOf(role);
      return index === -1 ? ROLE_ORDER.length : index;
    };
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const row = (role: string, seconds: number): CpuRow => ({
    role,
    seconds,
    perThousandOrders: orders > 0 ? (seconds * 1000) / orders : Number.NaN,
  });
  // A process of the role may have exited in the window: never report negative time.
  const rows = roles.map((role) => row(role, Math.max(0, (after.get(role) ?? 0) - (before.get(role) ?? 0))));
  return [
    ...rows,
    row(
      "total",
      rows.reduce((sum, { seconds }) => sum + seconds, 0),
    ),
  ];
}

/**
 * Prints (and returns) a table of CPU seconds and CPU seconds per 1,000 orders for each role; `unit`
 * names what was counted when it is not orders (e.g. `{one: "delivery", many: "deliveries"}`).
 */
export function cpuReport(
  before: CpuSnapshot,
  after: CpuSnapshot,
  orders: number,
  print: (line: string) => void = console.log,
  unit = { one: "order", many: "orders" },
): CpuRow[] {
  const rows = cpuRows(before, after, orders);
  const width = Math.max(8, ...rows.map(({ role }) => role.length));
  print(`CPU per process role over ${orders} ${unit.many} (s per 1,000 ${unit.many} = ms per ${unit.one}):`);
  const header = `s/1k ${unit.many}`;
  print(`  ${"role".padEnd(width)}  ${"cpu s".padStart(8)}  ${header.padStart(12)}`);
  for (const { role, seconds, perThousandOrders } of rows) {
    const perThousand = Number.isNaN(perThousandOrders) ? "-" : perThousandOrders.toFixed(2);
    print(`  ${role.padEnd(width)}  ${seconds.toFixed(2).padStart(8)}  ${perThousand.padStart(12)}`);
  }
  return rows;
}

/** The machine's CPU time so far, from the first line of /proc/stat, in seconds per state (every core summed). */
export interface MachineSnapshot {
  cores: number;
  busy: number;
  idle: number;
  iowait: number;
  /** Time the hypervisor gave to other guests while this one had work. */
  steal: number;
}

export function machineSnapshot(stat = readFileSync("/proc/stat", "utf8")): MachineSnapshot {
  const [user, nice, system, idle, iowait, irq, softirq, steal] = (/^cpu\s+(.*)$/m.exec(stat)?.[1] ?? "")
    .split(/\s+/)
    .map((ticks) => Number(ticks) / clockTicks);
  const cores = (stat.match(/^cpu\d+\s/gm) ?? []).length;
  const sum = (...values: (number | undefined)[]) =>
    values.reduce<number>((total, value) => total + (value ?? 0), 0);
  return {
    cores,
    busy: sum(user, nice, system, irq, softirq),
    idle: sum(idle),
    iowait: sum(iowait),
    steal: sum(steal),
  };
}

/**
 * How the machine spent the measured window, as shares of all its cores: busy (and how much of that the
 * platform's roles were), idle, waiting on the disk, and stolen by the hypervisor. A run with idle cores is
 * bound by waiting, not by CPU; one with steal ran on less machine than it was given.
 */
export function machineLine(
  before: MachineSnapshot,
  after: MachineSnapshot,
  platformSeconds: number,
): string {
  const total =
    after.busy +
    after.idle +
    after.iowait +
    after.steal -
    (before.busy + before.idle + before.iowait + before.steal);
  const share = (seconds: number) => `${((100 * Math.max(0, seconds)) / (total || 1)).toFixed(0)} %`;
  return (
    `machine over the window (${after.cores} cores): busy ${share(after.busy - before.busy)} ` +
    `(the platform's processes ${share(platformSeconds)}), idle ${share(after.idle - before.idle)}, ` +
    `iowait ${share(after.iowait - before.iowait)}, stolen by the hypervisor ${share(after.steal - before.steal)}`
  );
}
