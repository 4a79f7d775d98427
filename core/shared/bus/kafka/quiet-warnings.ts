// @ts-expect-error: kafkajs ships no types for its internals (and, unmaintained, they no longer change).
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

/**
 * kafkajs re-arms a timer on every connection's request queue after each check, even with nothing pending
 * and no throttle: `throttledUntil` starts at -1, so the delay is about minus the epoch, which Bun clamps to
 * 1 ms (printing a TimeoutNegativeWarning). That is a 1 kHz timer loop per broker connection for nothing.
 * The queue is checked again anyway when a request is queued and when a response arrives, so a check is only
 * scheduled while something is pending or a throttle is in force.
 */
const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
RequestQueue.prototype.scheduleCheckPendingRequests = function (this: {
  pending: unknown[];
  throttledUntil: number;
}) {
  if (this.pending.length === 0 && this.throttledUntil <= Date.now()) return;
  return schedule.call(this);
};
