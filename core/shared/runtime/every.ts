import type { Logger } from "../telemetry/logger";
import type { Stoppable } from "./context";

/** Runs `work` every `intervalMs` until stopped; a failed round is logged and the next one tries again. */
export function every(
  intervalMs: number,
  work: () => Promise<unknown>,
  logger: Logger,
  what: string,
): Stoppable {
  let running = true;
  let wake = () => {};
  const loop = (async () => {
    while (running) {
      try {
        await work();
      } catch (error) {
        logger.error({ err: error }, `${what} failed`);
      }
      // stop() cuts the wait short, so a long interval never holds up shutdown; a stop() that came while
      // `work` ran found no wait to cut, so the loop must not start one (it held shutdown for a whole interval).
      if (!running) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return {
    async stop() {
      running = false;
      wake();
      await loop;
    },
  };
}
