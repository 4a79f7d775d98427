import type { PurgeScope } from "@qc/contracts";

/** Retires the edge's cached reads of every scope given (by bumping each scope's version). */
export interface CachePurger {
  purge(scopes: readonly PurgeScope[]): Promise<void>;
}

// Mirrors edge/src/cache/scopes.ts (scopeName, versionKey, newVersion): both sides must agree on the KV
// keys, and purger.test.ts pins that agreement against the edge's own functions.

/** The KV key that holds a scope's current version, exactly as the edge reads it. */
export function versionKey(scope: PurgeScope): string {
  switch (scope.kind) {
    case "catalog":
    case "stores":
      return `ver:${scope.kind}`;
    case "store":
      return `ver:store=${scope.storeId}`;
    case "product":
      return `ver:product=${scope.storeId}:${scope.sku}`;
    case "cart":
      return `ver:cart=${scope.userId}`;
  }
}

/** A fresh version; random, so concurrent purges never need read-modify-write. */
export function newVersion(): string {
  return crypto.randomUUID().slice(0, 8);
}

/** The same scopes once each, in first-seen order. */
export function distinctScopes(scopes: readonly PurgeScope[]): PurgeScope[] {
  const byKey = new Map(scopes.map((scope) => [versionKey(scope), scope]));
  return [...byKey.values()];
}

/** The purge target refused or failed a call; `status` tells whether trying again can help. */
export class PurgeFailedError extends Error {
  override name = "PurgeFailedError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Worth retrying: anything but a definite refusal (a 4xx other than 429 Too Many Requests). */
export const isTransientPurgeError = (error: Error): boolean =>
  !(error instanceof PurgeFailedError) || error.status === 429 || error.status >= 500;
