import type { PurgeScope } from "@qc/contracts";

/** Invalidates cached reads by bumping the version of every scope that changed. */
export interface Purger {
  purge(scopes: readonly PurgeScope[]): Promise<void>;
}
