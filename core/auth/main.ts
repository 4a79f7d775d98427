import { every } from "../shared/runtime/every";
import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";
import { bootstrapAuth } from "./use-cases/bootstrap-auth";
import { HOUR_MS, sweepRefreshTokens } from "./use-cases/sweep-refresh-tokens";

/** Accounts, passwords, JWT access tokens (JWKS), refresh-token families, roles and partner API keys. */
export const authService: ServiceDefinition<Database> = {
  name: "auth",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  async background(ctx) {
    await bootstrapAuth(ctx.db, ctx.config);
    return [every(HOUR_MS, () => sweepRefreshTokens(ctx.db, ctx.logger), ctx.logger, "refresh-token sweep")];
  },
};

if (import.meta.main) await runServiceMain(authService);
