import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { problem } from "../../errors";

/** The Worker's secrets, and the placeholders wrangler.toml gives them for local runs. */
const SECRETS = {
  EDGE_SIGNING_SECRET: "dev-edge-signing-secret-change-me",
  PURGE_SECRET: "dev-purge-secret-change-me",
} as const;
const MIN_SECRET_BYTES = 32;

/** What is wrong with the Worker's secrets in production (empty when all are fine, or outside production). */
export function secretProblems(env: Env): string[] {
  if (env.ENVIRONMENT !== "production") return [];
  const problems: string[] = [];
  for (const [name, placeholder] of Object.entries(SECRETS)) {
    const value = (env as unknown as Record<string, string | undefined>)[name];
    if (!value) problems.push(`${name} is missing`);
    else if (value === placeholder) problems.push(`${name} is the development placeholder`);
    else if (new TextEncoder().encode(value).byteLength < MIN_SECRET_BYTES)
      problems.push(`${name} is shorter than ${MIN_SECRET_BYTES} bytes`);
  }
  return problems;
}

/**
 * A Worker has no start-up to refuse, so a production Worker whose secrets are missing, placeholders or
 * short answers every request 500 (naming the variables in its log, not to the client) instead of signing
 * with a secret anyone can read in the repository.
 */
export function configGuard(): MiddlewareHandler<AppEnv> {
  return async function configGuardMiddleware(c, next) {
    const problems = secretProblems(c.env);
    if (problems.length > 0) {
      console.error(
        JSON.stringify({ level: "fatal", msg: "refusing to serve: insecure configuration", problems }),
      );
      throw problem(500, "internal", "The service is not configured for production");
    }
    await next();
  };
}
