import { randomSecret, sha256Hex } from "./secrets";

const KEY_PATTERN = /^qck_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface MintedApiKey {
  /** Shown once to the admin; never stored. */
  key: string;
  /** Public part, stored in clear to find the key. */
  prefix: string;
  secretHash: string;
}

/** A new partner key `qck_<prefix>_<secret>`: the prefix finds the row, the secret is only stored hashed. */
export function mintApiKey(): MintedApiKey {
  const prefix = Buffer.from(crypto.getRandomValues(new Uint8Array(9)))
    .toString("base64")
    .replace(/[+/]/g, "x");
  const secret = randomSecret(32);
  return { key: `qck_${prefix}_${secret}`, prefix, secretHash: sha256Hex(secret) };
}

/** Splits a presented key into its prefix and the hash of its secret, or null when it is not one of ours. */
export function parseApiKey(key: string): { prefix: string; secretHash: string } | null {
  const match = KEY_PATTERN.exec(key);
  if (!match) return null;
  return { prefix: match[1] as string, secretHash: sha256Hex(match[2] as string) };
}
