import { type ChildProcess, spawn } from "node:child_process";
import type { Server } from "node:http";
import { resolve } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import type { TestProject } from "vitest/node";
import { startCoreDouble } from "./core-double";
import { CORE_DOUBLE_PORT, UPSTASH_PORT, UPSTASH_URL } from "./ports";

const repoRoot = resolve(import.meta.dirname, "../..");

declare module "vitest" {
  export interface ProvidedContext {
    /** Private JWKs by kid: `current` is served by the JWKS endpoint, so is `rotated`; `rogue` never is. */
    signingKeys: Record<"current" | "rotated" | "rogue", JsonWebKey & { kid: string }>;
  }
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return {
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: "ES256" },
  };
}

async function waitForUpstash(child: ChildProcess): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`Upstash REST server exited with ${child.exitCode}`);
    try {
      const response = await fetch(UPSTASH_URL, {
        method: "POST",
        headers: { authorization: "Bearer dev-upstash-token" },
        body: JSON.stringify(["PING"]),
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("Upstash REST server did not start");
}

/** Starts, in Node, the real servers edge tests talk to: a core double with a JWKS, and the Upstash REST server over Redis. */
export default async function setup(project: TestProject) {
  const [current, rotated, rogue] = await Promise.all([
    signingKey("key-current"),
    signingKey("key-rotated"),
    signingKey("key-rogue"),
  ]);
  const double: Server = await startCoreDouble(CORE_DOUBLE_PORT, {
    keys: [current.publicJwk, rotated.publicJwk],
  });
  const upstash = spawn(resolve(repoRoot, "node_modules/.bin/bun"), ["core/tooling/upstash-rest/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, UPSTASH_PORT: String(UPSTASH_PORT), UPSTASH_TOKEN: "dev-upstash-token" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  await waitForUpstash(upstash);
  project.provide("signingKeys", {
    current: current.privateJwk,
    rotated: rotated.privateJwk,
    rogue: rogue.privateJwk,
  } as never);
  return async () => {
    upstash.kill("SIGTERM");
    await new Promise((resolve) => double.close(resolve));
  };
}
