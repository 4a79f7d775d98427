import type { PurgeScope } from "@qc/contracts";

/** A stable name for a scope, used in version keys and cache keys. */
export function scopeName(scope: PurgeScope): string {
  switch (scope.kind) {
    case "catalog":
    case "stores":
      return scope.kind;
    case "store":
      return `store=${scope.storeId}`;
    case "product":
      return `product=${scope.storeId}:${scope.sku}`;
    case "cart":
      return `cart=${scope.userId}`;
  }
}

/** The KV key that holds a scope's current version. */
export function versionKey(scope: PurgeScope): string {
  return `ver:${scopeName(scope)}`;
}

/** A fresh version; random so concurrent purges never need read-modify-write. */
export function newVersion(): string {
  return crypto.randomUUID().slice(0, 8);
}
