import { describe, expect, it } from "bun:test";
import {
  classify,
  cpuReport,
  cpuRows,
  cpuSnapshot,
  machineLine,
  machineSnapshot,
  readProcess,
  treeOf,
  wakeUpLine,
  wakeUpSnapshot,
} from "./process-cpu";

describe("classify", () => {
  const role = (comm: string, cmdline: string) => classify({ comm, cmdline });

  it("names a core service by the main.ts it runs", () => {
    expect(role("bun", "/work/node_modules/.bin/bun core/order/main.ts")).toBe("order");
    expect(role("bun", "bun /repo/core/inventory/main.ts")).toBe("inventory");
    expect(role("bun", "bun core/main.ts")).toBe("core");
    expect(role("bun", "bun core/tooling/upstash-rest/main.ts")).toBe("upstash");
  });

  it("names the platform's servers", () => {
    expect(role("java", "java -Xmx768m -cp lib/* kafka.Kafka /x/server.properties")).toBe("kafka");
    expect(role("postgres", "/usr/lib/postgresql/15/bin/postgres -D /var/lib/postgresql")).toBe("postgres");
    expect(role("postgres", "postgres: 15/main: postgres quickcommerce 127.0.0.1(5123) idle")).toBe(
      "postgres",
    );
    expect(role("redis-server", "redis-server 127.0.0.1:6379")).toBe("redis");
    expect(
      role("beam.smp", "/usr/lib/erlang/erts-13.1.5/bin/beam.smp -W w -- -noshell -noinput -s rabbit boot"),
    ).toBe("rabbitmq");
    expect(role("workerd", "/x/node_modules/@cloudflare/workerd-linux-64/bin/workerd serve --binary")).toBe(
      "workerd",
    );
    expect(role("node", "node /x/node_modules/wrangler/bin/wrangler.js dev --port 8787")).toBe("wrangler");
  });

  it("leaves everything else out", () => {
    expect(role("bash", "bash -c sleep 1")).toBeUndefined();
    expect(role("java", "java -jar zookeeper.jar")).toBeUndefined();
    expect(role("beam.smp", "/usr/lib/erlang/erts-13.1.5/bin/beam.smp -- -s ejabberd")).toBeUndefined();
    expect(role("bun", "bun core/tooling/dlq/main.ts list x")).toBeUndefined();
  });
});

describe("cpuSnapshot", () => {
  it("counts this process as the bench, and sees the CPU it burns", () => {
    const before = cpuSnapshot();
    const until = performance.now() + 300;
    let spin = 0;
    while (performance.now() < until) spin++;
    const after = cpuSnapshot();
    expect(spin).toBeGreaterThan(0);
    // 300 ms of busy loop at 100 ticks/s: at least ~0.2 s even on a busy machine with 2 cores.
    expect((after.get("bench") ?? 0) - (before.get("bench") ?? 0)).toBeGreaterThan(0.1);
  });

  it("with a root, counts a service only inside that process tree", async () => {
    // A child whose command line names a core service; it only sleeps.
    const child = Bun.spawn(["bash", "-c", "sleep 5; exit 0", "core/payment/main.ts"]);
    try {
      await Bun.sleep(100);
      expect(readProcess(child.pid)?.cmdline).toContain("core/payment/main.ts");
      expect(treeOf(process.pid).has(child.pid)).toBe(true);
      expect(cpuSnapshot({ root: process.pid }).has("payment")).toBe(true);
      expect(cpuSnapshot({ root: child.pid, benchPid: -1 }).has("payment")).toBe(true);
      // Under a root the child is not in, the service is not counted (the machine's Postgres still is).
      const elsewhere = cpuSnapshot({ root: 1 << 30, benchPid: -1 });
      expect(elsewhere.has("payment")).toBe(false);
    } finally {
      child.kill();
      await child.exited;
    }
  });
});

describe("cpuReport", () => {
  it("prints seconds and seconds per 1,000 orders per role, services first, with a total", () => {
    const before = new Map([
      ["kafka", 10],
      ["order", 1],
      ["bench", 0.5],
    ]);
    const after = new Map([
      ["kafka", 12],
      ["order", 4],
      ["bench", 0.4],
      ["workerd", 1],
    ]);
    const lines: string[] = [];
    const rows = cpuReport(before, after, 500, (line) => lines.push(line));
    expect(rows.map(({ role }) => role)).toEqual(["order", "kafka", "workerd", "bench", "total"]);
    expect(rows.find((row) => row.role === "order")).toEqual({
      role: "order",
      seconds: 3,
      perThousandOrders: 6,
    });
    expect(rows.find((row) => row.role === "bench")?.seconds).toBe(0); // never negative
    expect(rows.at(-1)).toEqual({ role: "total", seconds: 6, perThousandOrders: 12 });
    expect(lines.join("\n")).toMatch(/order\s+3\.00\s+6\.00/);
    expect(cpuRows(before, after, 0).at(-1)?.perThousandOrders).toBeNaN();
  });
});

describe("wakeUpSnapshot", () => {
  it("counts each time a role's process slept waiting and was woken", async () => {
    // A child named as a core service that waits for 100 short sleeps in turn: a wake-up after each.
    const child = Bun.spawn(["bash", "-c", "for i in $(seq 100); do sleep 0.01; done", "core/cart/main.ts"]);
    const scope = { root: child.pid, benchPid: -1 };
    const woken = () => wakeUpSnapshot(scope).get("cart") ?? 0;
    try {
      await Bun.sleep(20);
      const first = woken();
      let grew = 0;
      while (grew < 5 && readProcess(child.pid)) {
        await Bun.sleep(20);
        grew = woken() - first;
      }
      expect(grew).toBeGreaterThanOrEqual(5);
    } finally {
      child.kill();
    }
  });

  it("prints wake-ups per order for the roles asked, in their order", () => {
    const line = wakeUpLine(
      new Map([
        ["postgres", 100],
        ["order", 10],
      ]),
      new Map([
        ["postgres", 400],
        ["order", 70],
      ]),
      10,
      ["postgres", "order", "cart"],
    );
    expect(line).toEndWith("postgres 30.0, order 6.0, cart 0.0");
  });
});

describe("the machine over a window", () => {
  // /proc/stat in clock ticks: user nice system idle iowait irq softirq steal guest guest_nice.
  const stat = (user: number, idle: number, iowait: number, steal: number) =>
    `cpu  ${user} 0 0 ${idle} ${iowait} 0 0 ${steal} 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0 0 0 0 0 0 0 0 0 0\nintr 1\n`;

  it("reads the machine's states and counts its cores", () => {
    const snapshot = machineSnapshot(stat(300, 500, 0, 100));
    expect(snapshot.cores).toBe(2);
    expect(snapshot.busy / snapshot.idle).toBeCloseTo(300 / 500);
    expect(snapshot.steal / snapshot.idle).toBeCloseTo(100 / 500);
  });

  it("says what share of the window was busy, the platform's, idle and stolen", () => {
    const before = machineSnapshot(stat(0, 0, 0, 0));
    const after = machineSnapshot(stat(600, 200, 0, 200));
    const total = after.busy + after.idle + after.steal;
    expect(machineLine(before, after, total / 2)).toBe(
      "machine over the window (2 cores): busy 60 % (the platform's processes 50 %), idle 20 %, iowait 0 %, " +
        "stolen by the hypervisor 20 %",
    );
  });

  it("reads this machine", () => {
    const now = machineSnapshot();
    expect(now.cores).toBeGreaterThan(0);
    expect(now.busy + now.idle).toBeGreaterThan(0);
  });
});
