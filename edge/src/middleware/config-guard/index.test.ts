import { describe, expect, it } from "vitest";
import { edge, env } from "../../../test/helpers";
import { secretProblems } from ".";

describe("configGuard (issue 11, item 3)", () => {
  it("refuses to serve in production with the development placeholders, naming each secret", async () => {
    expect(secretProblems({ ...env, ENVIRONMENT: "production" })).toEqual([
      "EDGE_SIGNING_SECRET is the development placeholder",
      "PURGE_SECRET is the development placeholder",
    ]);
    const response = await edge("/openapi.json", {}, { ENVIRONMENT: "production" });
    expect(response.status).toBe(500);
  });

  it("refuses short secrets and serves with strong ones", async () => {
    const strong = { EDGE_SIGNING_SECRET: "e".repeat(40), PURGE_SECRET: "p".repeat(40) };
    expect(secretProblems({ ...env, ENVIRONMENT: "production", ...strong, PURGE_SECRET: "short" })).toEqual([
      "PURGE_SECRET is shorter than 32 bytes",
    ]);
    expect((await edge("/openapi.json", {}, { ENVIRONMENT: "production", ...strong })).status).toBe(200);
    expect((await edge("/openapi.json")).status).toBe(200);
  });
});
