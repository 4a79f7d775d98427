// @ts-expect-error: kafkajs ships no types for its internals (and, unmaintained, they no longer change).
import RequestQueue from "kafkajs/src/network/requestQueue/index.js";

/**
 * kafkajs schedules a connection's first request-queue check with a negative delay (`throttledUntil` starts
 * at -1, so `throttledUntil - Date.now()` is about minus the epoch). Bun clamps it to 1 ms and prints a
 * TimeoutNegativeWarning in every process: harmless, and nothing an operator can act on. A throttle that
 * lies in the past is moved to now before the check is scheduled, which is what kafkajs meant: no throttle.
 */
const schedule = RequestQueue.prototype.scheduleCheckPendingRequests;
RequestQueue.prototype.scheduleCheckPendingRequests = function (this: { throttledUntil: number }) {
  this.throttledUntil = Math.max(this.throttledUntil, Date.now());
  return schedule.call(this);
};
