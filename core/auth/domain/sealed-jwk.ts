import type { JWK } from "jose";

// Private signing keys are stored encrypted so a database dump alone cannot mint tokens.

const encoder = new TextEncoder();

const keyFrom = async (secret: string) =>
  crypto.subtle.importKey(
    "raw",
    await crypto.subtle.digest("SHA-256", encoder.encode(secret)),
    "AES-GCM",
    false,
    ["encrypt", "decrypt"],
  );

/** Encrypts a JWK with AES-256-GCM under a key derived from `secret`; returns `iv.ciphertext` in base64url. */
export async function sealJwk(jwk: JWK, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await keyFrom(secret),
    encoder.encode(JSON.stringify(jwk)),
  );
  return `${Buffer.from(iv).toString("base64url")}.${Buffer.from(sealed).toString("base64url")}`;
}

/** Decrypts what sealJwk produced; throws when the secret is wrong or the text was altered. */
export async function openJwk(sealed: string, secret: string): Promise<JWK> {
  const [iv, data] = sealed.split(".");
  if (!iv || !data) throw new Error("malformed sealed key");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: Buffer.from(iv, "base64url") },
    await keyFrom(secret),
    Buffer.from(data, "base64url"),
  );
  return JSON.parse(new TextDecoder().decode(plain)) as JWK;
}
