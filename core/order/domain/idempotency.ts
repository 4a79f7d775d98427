/** JSON with object keys sorted, so two equal bodies serialize the same whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The fingerprint of a request body that an idempotency key is bound to. */
export function requestHash(body: unknown): string {
  return new Bun.CryptoHasher("sha256").update(canonical(body)).digest("hex");
}
