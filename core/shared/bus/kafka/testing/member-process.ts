// A consumer group member in its own process, so a test can SIGKILL it (no LeaveGroup, as in a crash) and
// start it again. Prints each record's value on its own line once handled. Configured by env from the test.
import { createKafkaBus } from "../index";

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const bus = createKafkaBus({
  brokers: env("KAFKA_BROKERS").split(","),
  clientId: "member-process",
  instanceId: process.env.MEMBER_INSTANCE_ID,
});
await bus.subscribe({
  groupId: env("MEMBER_GROUP"),
  topics: [env("MEMBER_TOPIC")],
  sessionTimeoutMs: Number(env("MEMBER_SESSION_MS")),
  handle: async (record) => {
    process.stdout.write(`${record.value}\n`);
  },
});
process.stdout.write("subscribed\n");
