import type { PurgeScope } from "@qc/contracts";
import { gatherWithin } from "../runtime/gather-window";
import type { CachePurger } from "./purger";

/** Gathers the scopes asked for within `windowMs` into one purge call: a burst of stock changes across stores costs one request instead of one each. */
export function coalescingPurger(purger: CachePurger, windowMs: number): CachePurger {
  const gather = gatherWithin(windowMs, (scopes: PurgeScope[]) => purger.purge(scopes));
  return { purge: (scopes) => gather(...scopes) };
}
