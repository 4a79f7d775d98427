import { describe, expect, it } from "bun:test";
import { openJwk, sealJwk } from "./sealed-jwk";

const jwk = { kty: "EC", crv: "P-256", x: "x", y: "y", d: "secret-part" };
const secret = "a-long-enough-test-secret";

describe("sealed signing keys", () => {
  it("round-trips a JWK without storing it in clear", async () => {
    const sealed = await sealJwk(jwk, secret);
    expect(sealed).not.toContain("secret-part");
    expect(await openJwk(sealed, secret)).toEqual(jwk);
  });
  it("refuses to open with another secret", async () => {
    await expect(openJwk(await sealJwk(jwk, secret), "another-secret-entirely")).rejects.toThrow();
  });
});
