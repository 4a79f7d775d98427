import type { PurgeScope } from "@qc/contracts";
import type { CachePurger } from "./purger";

/**
 * Gathers the scopes asked for within `windowMs` into one purge call: a burst of stock changes across
 * stores costs one request instead of one each. Every caller's promise settles with the call that carried
 * its scopes, so a caller still learns when its purge failed.
 */
export function coalescingPurger(purger: CachePurger, windowMs: number): CachePurger {
  let pending: { scopes: PurgeScope[]; done: Promise<void> } | undefined;
  return {
    purge(scopes) {
      if (!pending) {
        const batch = { scopes: [] as PurgeScope[], done: Promise.resolve() };
        batch.done = Bun.sleep(windowMs).then(() => {
          pending = undefined;
          return purger.purge(batch.scopes);
        });
        pending = batch;
      }
      pending.scopes.push(...scopes);
      return pending.done;
    },
  };
}
