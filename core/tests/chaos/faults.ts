import type { LatencyProxy } from "../../../scripts/infra/faults/latency-proxy";
import type { Controllable } from "../../../scripts/infra/faults/process";
import type { SpawnedService } from "../support/spawn-service";
import type { Random } from "./random";

export interface ChaosTargets {
  services: Record<string, SpawnedService>;
  postgres: Controllable;
  redis: Controllable;
  kafka: Controllable;
  /** Sits between every service and Postgres. */
  postgresProxy: LatencyProxy;
}

export interface Fault {
  name: string;
  weight: number;
  /** Breaks something, waits, and repairs it; returns what it did, for the report. */
  run(random: Random, targets: ChaosTargets): Promise<string>;
}

const pause = (random: Random, min: number, max: number) => Bun.sleep(random.between(min, max));

/** The faults the chaos test draws from; each repairs what it broke before it returns. */
export const FAULTS: Fault[] = [
  {
    name: "crash a service",
    weight: 5,
    async run(random, { services }) {
      const name = random.pick(Object.keys(services));
      const service = services[name] as SpawnedService;
      if (service.pid === undefined) return `${name} was already down`;
      await service.kill();
      await pause(random, 200, 2_000);
      await service.restart();
      return `SIGKILLed and restarted ${name}`;
    },
  },
  {
    name: "crash Postgres",
    weight: 1,
    async run(random, { postgres }) {
      await postgres.stop({ crash: true });
      await pause(random, 500, 3_000);
      await postgres.start();
      return "SIGKILLed and restarted Postgres";
    },
  },
  {
    name: "stop Redis",
    weight: 1,
    async run(random, { redis }) {
      await redis.stop();
      await pause(random, 500, 3_000);
      await redis.start();
      return "stopped and restarted Redis";
    },
  },
  {
    name: "stop Kafka",
    weight: 1,
    async run(random, { kafka }) {
      await kafka.stop();
      await pause(random, 500, 3_000);
      await kafka.start();
      return "stopped and restarted the Kafka broker";
    },
  },
  {
    name: "slow Postgres",
    weight: 2,
    async run(random, { postgresProxy }) {
      const latency = random.between(50, 400);
      postgresProxy.setLatency(latency);
      await pause(random, 1_000, 4_000);
      postgresProxy.setLatency(0);
      return `slowed Postgres by ${latency} ms per round trip for a while`;
    },
  },
];

/** Draws a fault by weight. */
function drawFault(random: Random, faults: Fault[]): Fault {
  const total = faults.reduce((sum, fault) => sum + fault.weight, 0);
  let ticket = random.next() * total;
  for (const fault of faults) {
    ticket -= fault.weight;
    if (ticket < 0) return fault;
  }
  return faults[faults.length - 1] as Fault;
}

/** Every fault once in a seeded order (so each run covers them all), then draws by weight for ever. */
export function* faultPlan(random: Random, faults: Fault[] = FAULTS): Generator<Fault> {
  const firstRound = [...faults];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = random.between(0, i);
    [firstRound[i], firstRound[j]] = [firstRound[j] as Fault, firstRound[i] as Fault];
  }
  yield* firstRound;
  for (;;) yield drawFault(random, faults);
}
