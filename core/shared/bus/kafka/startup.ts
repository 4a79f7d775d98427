import type { ConsumerGroupStartup } from "../index";
import { type LagReader, partitionKey } from "./lag";

interface GroupStart {
  topics: string[];
  joined: boolean;
  atNewest: boolean;
  /** The high watermarks when the group first joined: the backlog it must work off before it is ready. */
  backlog?: Promise<Map<string, bigint>>;
  caughtUp: boolean;
}

export interface StartupTracker {
  /** A group starting at the newest record (`fromBeginning: false`) has no backlog to work off. */
  subscribing(groupId: string, topics: string[], fromBeginning: boolean): void;
  /** The group's member got its partitions (the client's `consumer:group:join`). */
  joined(groupId: string): void;
  stopped(groupId: string): void;
  states(): Promise<ConsumerGroupStartup[]>;
}

/**
 * Tells whether each consumer group of this bus has started: joined (partitions assigned) and caught up with
 * what its topics held when it joined. Once caught up a group stays so: readiness after start-up is about
 * dependencies answering, and a busy minute later must not take a service out of its load balancer.
 */
export function createStartupTracker(offsets: LagReader): StartupTracker {
  const groups = new Map<string, GroupStart>();

  const backlogOf = (start: GroupStart) => {
    start.backlog ??= offsets.highWatermarks(start.topics).catch((error: unknown) => {
      start.backlog = undefined;
      throw error;
    });
    return start.backlog;
  };

  const stateOf = async (groupId: string, start: GroupStart): Promise<ConsumerGroupStartup> => {
    if (start.caughtUp) return { group: groupId, state: "caught-up", behind: 0 };
    if (!start.joined) return { group: groupId, state: "joining", behind: null };
    if (start.atNewest) start.caughtUp = true;
    if (start.caughtUp) return { group: groupId, state: "caught-up", behind: 0 };
    const [backlog, positions] = await Promise.all([
      backlogOf(start),
      offsets.positions(groupId, start.topics),
    ]);
    let behind = 0n;
    for (const { topic, partition, next } of positions) {
      const target = backlog.get(partitionKey(topic, partition)) ?? 0n;
      if (target > next) behind += target - next;
    }
    start.caughtUp = behind === 0n;
    return { group: groupId, state: start.caughtUp ? "caught-up" : "catching-up", behind: Number(behind) };
  };

  return {
    subscribing(groupId, topics, fromBeginning) {
      groups.set(groupId, { topics, joined: false, caughtUp: false, atNewest: !fromBeginning });
    },
    joined(groupId) {
      const start = groups.get(groupId);
      // Measured at the first join only: what arrives later is ordinary work, not start-up backlog.
      if (!start || start.joined) return;
      start.joined = true;
      if (start.atNewest) return;
      void backlogOf(start).catch(() => {});
    },
    stopped(groupId) {
      groups.delete(groupId);
    },
    async states() {
      return Promise.all(
        [...groups].map(([groupId, start]) =>
          stateOf(groupId, start).catch(
            (): ConsumerGroupStartup => ({
              group: groupId,
              state: start.caughtUp ? "caught-up" : "unknown",
              behind: null,
            }),
          ),
        ),
      );
    },
  };
}
