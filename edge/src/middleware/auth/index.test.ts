import { describe, expect, it } from "vitest";
import { accessToken, edge, env, freshIp } from "../../../test/helpers";
import { JWKS_KV_KEY } from "./jwks";

const CART = "/v1/cart?storeId=0190a5c0-0000-7000-8000-000000000001";

async function withToken(token: string) {
  return edge(CART, { headers: { authorization: `Bearer ${token}`, "cf-connecting-ip": freshIp() } });
}

function encode(value: unknown): string {
  return btoa(JSON.stringify(value)).replaceAll("=", "").replaceAll("+", "-").replaceAll("/", "_");
}

describe("authenticate", () => {
  it("lets a valid token through and fetches the JWKS into KV when KV has none", async () => {
    await env.JWKS.delete(JWKS_KV_KEY);
    const response = await withToken(await accessToken());
    expect(response.status).toBe(200);
    const stored = JSON.parse((await env.JWKS.get(JWKS_KV_KEY)) ?? "{}");
    expect(stored.keys.map((key: { kid: string }) => key.kid)).toContain("key-current");
  });

  it("refetches the JWKS when a token carries a kid that KV does not know yet", async () => {
    const full = await (await edge("/v1/auth/.well-known/jwks.json")).json<{ keys: { kid: string }[] }>();
    const onlyCurrent = { keys: full.keys.filter((key) => key.kid === "key-current") };
    await env.JWKS.put(JWKS_KV_KEY, JSON.stringify(onlyCurrent));
    const response = await withToken(await accessToken({ key: "rotated" }));
    expect(response.status).toBe(200);
    expect(await env.JWKS.get(JWKS_KV_KEY)).toContain("key-rotated");
  });

  it("rejects a request without a token with 401 problem+json", async () => {
    const response = await edge(CART, { headers: { "cf-connecting-ip": freshIp() } });
    expect(response.status).toBe(401);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(response.headers.get("www-authenticate")).toBe("Bearer");
  });

  it("rejects an expired token", async () => {
    const response = await withToken(await accessToken({ expiresIn: Math.floor(Date.now() / 1000) - 60 }));
    expect(response.status).toBe(401);
    expect((await response.json<{ detail: string }>()).detail).toMatch(/expired/);
  });

  it("rejects a tampered token whose payload was changed after signing", async () => {
    const [header, , signature] = (await accessToken({ roles: ["shopper"] })).split(".");
    const forged = encode({
      sub: crypto.randomUUID(),
      roles: ["admin"],
      iss: "quickcommerce-auth",
      aud: "quickcommerce",
      exp: 4e9,
    });
    expect((await withToken(`${header}.${forged}.${signature}`)).status).toBe(401);
  });

  it("rejects an unsigned token (alg: none)", async () => {
    const claims = {
      sub: crypto.randomUUID(),
      roles: ["shopper"],
      iss: "quickcommerce-auth",
      aud: "quickcommerce",
      exp: 4e9,
    };
    const response = await withToken(`${encode({ alg: "none", typ: "JWT" })}.${encode(claims)}.`);
    expect(response.status).toBe(401);
  });

  it("rejects a token signed by a key auth never published, even after refetching", async () => {
    expect((await withToken(await accessToken({ key: "rogue" }))).status).toBe(401);
  });

  it("rejects a token from another issuer", async () => {
    expect((await withToken(await accessToken({ issuer: "someone-else" }))).status).toBe(401);
  });
});
