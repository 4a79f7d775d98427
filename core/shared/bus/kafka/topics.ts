import type { TopicSpec } from "../index";
import type { BusAdmin } from "./admin";

const SERVED_WITHIN_MS = 30_000;

/**
 * Waits until the broker serves metadata for every topic with a leader for each of its partitions, so a
 * publish or subscribe right after start-up does not meet UNKNOWN_TOPIC_OR_PARTITION (metadata can lag
 * creation by a moment).
 */
export async function awaitTopicsServed(admin: BusAdmin, topics: TopicSpec[]): Promise<void> {
  const deadline = Date.now() + SERVED_WITHIN_MS;
  const names = topics.map((topic) => topic.name);
  for (;;) {
    const served = await admin.served(names).catch((error: unknown) => error);
    if (served === true) return;
    if (Date.now() > deadline)
      throw new Error(`topics not served within ${SERVED_WITHIN_MS / 1000}s: ${served || "leaders missing"}`);
    await Bun.sleep(100);
  }
}
