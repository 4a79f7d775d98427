import { runServiceMain, type ServiceDefinition } from "../shared/runtime/service";
import { app } from "./app";
import type { Database } from "./db/schema";

/** Accounts, passwords, JWT access tokens (JWKS), refresh-token families, roles and partner API keys. */
export const authService: ServiceDefinition<Database> = {
  name: "auth",
  migrations: `${import.meta.dir}/db/migrations`,
  app,
};

if (import.meta.main) await runServiceMain(authService);
