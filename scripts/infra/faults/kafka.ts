import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type KafkaBroker, startKafka } from "../kafka";
import { type Controllable, freePort } from "./process";

export interface PrivateKafka extends Controllable {
  brokers: string[];
  destroy(): Promise<void>;
}

/**
 * A Kafka broker of the harness's own (never the shared one on 9092), on free ports with its storage in a
 * temp folder, so a test may stop it and start it again with its topics and committed offsets intact.
 * (startKafka stops its broker with SIGTERM, so `crash` is a clean stop here too.)
 */
export async function startPrivateKafka(options: { port?: number } = {}): Promise<PrivateKafka> {
  const port = options.port ?? freePort();
  const controllerPort = freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "qc-faults-kafka-"));
  let broker: KafkaBroker | undefined;
  const start = async () => {
    broker = await startKafka({ port, controllerPort, dataDir });
    if (!broker.owned) throw new Error(`port ${port} already had a broker; refusing to control it`);
  };
  const stop = async () => {
    await broker?.stop();
    broker = undefined;
  };
  await start();
  return {
    brokers: [`127.0.0.1:${port}`],
    start,
    stop,
    get running() {
      return broker !== undefined;
    },
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
