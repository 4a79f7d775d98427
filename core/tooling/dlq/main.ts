import { parseArgs } from "node:util";
import { createKafkaBus } from "../../shared/bus/kafka";
import { loadConfig } from "../../shared/config";
import { listDeadLetters, replayDeadLetters } from "./dead-letters";

const usage = `usage:
  bun core/tooling/dlq/main.ts list <topic> [--prefix P]
  bun core/tooling/dlq/main.ts replay <topic> <offset...> [--prefix P]
<topic> is the original topic (e.g. order.events.v1); its dead letters live in <topic>.dlq.`;

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  options: { prefix: { type: "string" } },
  allowPositionals: true,
});
const [command, topic, ...offsets] = positionals;
if (
  !topic ||
  (command !== "list" && command !== "replay") ||
  (command === "replay" && offsets.length === 0)
) {
  console.error(usage);
  process.exit(2);
}

const config = loadConfig();
const prefix = values.prefix ?? config.TOPIC_PREFIX;
const bus = createKafkaBus({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-dlq` });
try {
  if (command === "list") {
    const letters = await listDeadLetters(bus, topic, prefix);
    if (letters.length === 0) console.log("no dead letters");
    else console.table(letters);
  } else {
    const replayed = await replayDeadLetters(bus, topic, offsets, prefix);
    console.log(`replayed ${replayed.length} dead letter(s) to ${topic}: offsets ${replayed.join(", ")}`);
  }
} catch (error) {
  console.error(`dlq ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await bus.disconnect();
}
