import { describe, expect, it } from "bun:test";
import { mintApiKey, parseApiKey } from "./api-key";

describe("partner API keys", () => {
  it("parses a minted key back to its prefix and secret hash", () => {
    const minted = mintApiKey();
    expect(parseApiKey(minted.key)).toEqual({ prefix: minted.prefix, secretHash: minted.secretHash });
  });
  it("never puts the secret's hash in the key", () => {
    const minted = mintApiKey();
    expect(minted.key).not.toContain(minted.secretHash);
  });
  it("rejects anything not shaped like our keys", () => {
    expect(parseApiKey("qck_short_secret")).toBeNull();
    expect(parseApiKey(`${mintApiKey().key}x`)).toBeNull();
  });
});
