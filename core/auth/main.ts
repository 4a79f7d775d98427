import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";
import { bootstrapAuth } from "./use-cases/bootstrap-auth";
import { startRefreshTokenSweeper } from "./use-cases/sweep-refresh-tokens";

/** Accounts, passwords, JWT access tokens (JWKS), refresh-token families, roles and partner API keys. */
export const authService: ServiceDefinition<Database> = {
  name: "auth",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
  async background(ctx) {
    await bootstrapAuth(ctx.db, ctx.config);
    return [startRefreshTokenSweeper(ctx.db, ctx.logger)];
  },
};

if (import.meta.main) await runServiceMain(authService);
