import type { Role } from "@qc/contracts";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { problem } from "../../errors";

/** Lets the request through only when the authenticated user holds one of `allowed` (else 403). */
export function requireRole(...allowed: Role[]): MiddlewareHandler<AppEnv> {
  return async function requireRoleMiddleware(c, next) {
    const user = c.get("user");
    if (!user) throw problem(401, "unauthorized", "Sign in first");
    if (!user.roles.some((role) => allowed.includes(role))) {
      throw problem(403, "forbidden", `Requires role ${allowed.join(" or ")}`);
    }
    await next();
  };
}
