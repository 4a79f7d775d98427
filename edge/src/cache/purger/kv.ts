import type { PurgeScope } from "@qc/contracts";
import { newVersion, versionKey } from "../scopes";
import type { Purger } from "./purger";

/** Bumps versions through the Worker's KV binding (development, and anything running inside the Worker). */
export class KvPurger implements Purger {
  constructor(private readonly kv: KVNamespace) {}

  async purge(scopes: readonly PurgeScope[]): Promise<void> {
    await Promise.all(scopes.map((scope) => this.kv.put(versionKey(scope), newVersion())));
  }
}
