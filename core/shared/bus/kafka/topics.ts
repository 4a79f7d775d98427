import type { Admin } from "kafkajs";
import type { TopicSpec } from "../index";

const SERVED_WITHIN_MS = 30_000;

/**
 * Waits until the broker serves metadata for every topic with a leader for each of its partitions, so a
 * publish or subscribe right after start-up does not meet UNKNOWN_TOPIC_OR_PARTITION (kafkajs' wait for
 * leaders after createTopics is skipped when some topics existed, and metadata can lag creation).
 */
export async function awaitTopicsServed(admin: Admin, topics: TopicSpec[]): Promise<void> {
  const deadline = Date.now() + SERVED_WITHIN_MS;
  const wanted = new Set(topics.map((topic) => topic.name));
  for (;;) {
    const served = await admin.fetchTopicMetadata({ topics: [...wanted] }).then(
      ({ topics: found }) =>
        found.every(
          (topic) =>
            topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
        ) && found.length === wanted.size,
      (error: unknown) => error,
    );
    if (served === true) return;
    if (Date.now() > deadline)
      throw new Error(`topics not served within ${SERVED_WITHIN_MS / 1000}s: ${served || "leaders missing"}`);
    await Bun.sleep(100);
  }
}
