import { describe, expect, it } from "bun:test";
import { ConfigError, loadConfig, SECRET_SETTINGS } from "./index";

const strong = (name: string) => `${name}-`.padEnd(40, "x");
const allStrong = Object.fromEntries(SECRET_SETTINGS.map((name) => [name, strong(name)]));

const refusal = (env: Record<string, string>) => {
  try {
    loadConfig({ NODE_ENV: "production", ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("production started with these secrets");
};

describe("production secrets (issue 11, item 3)", () => {
  it("refuses to start without them, naming each missing variable", () => {
    const message = refusal({});
    for (const name of SECRET_SETTINGS) expect(message).toContain(`${name}: required in production`);
  });

  it("refuses the development defaults (the README's admin password among them)", () => {
    const message = refusal({
      ...allStrong,
      ADMIN_PASSWORD: "admin-password-123",
      EDGE_SIGNING_SECRET: "dev-edge-signing-secret-change-me",
      SIGNING_KEY_ENCRYPTION_SECRET: "dev-signing-key-secret-change-me",
    });
    expect(message).toContain("ADMIN_PASSWORD: is the development default");
    expect(message).toContain("EDGE_SIGNING_SECRET: is the development default");
    expect(message).toContain("SIGNING_KEY_ENCRYPTION_SECRET: is the development default");
  });

  it("refuses a secret shorter than 32 bytes", () => {
    expect(refusal({ ...allStrong, PURGE_SECRET: "only-twenty-bytes-xx" })).toContain(
      "PURGE_SECRET: shorter than 32 bytes",
    );
  });

  it("starts with strong secrets, and development keeps its defaults", () => {
    expect(loadConfig({ NODE_ENV: "production", ...allStrong }).NODE_ENV).toBe("production");
    expect(loadConfig({}).EDGE_SIGNING_SECRET).toBe("dev-edge-signing-secret-change-me");
  });
});
