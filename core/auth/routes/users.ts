import { SetRolesBody, UserParams, UserRolesView } from "@qc/contracts";
import { Elysia } from "elysia";
import { identityFrom, requireRole } from "../../shared/http/edge-identity";
import { notFound } from "../../shared/http/errors";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { setUserRoles } from "../db/user-repository";

/** Role management for admins: roles, and the stores a store_staff member or rider belongs to. */
export const userRoutes = (ctx: ServiceContext<Database>) =>
  new Elysia().use(identityFrom(ctx.config)).put(
    "/v1/admin/users/:userId/roles",
    async ({ identity, params, body }) => {
      requireRole(identity, "admin");
      const set = await setUserRoles(
        ctx.db,
        params.userId,
        [...new Set(body.roles)],
        [...new Set(body.storeIds)],
      );
      if (!set) throw notFound("user");
      return { userId: params.userId, ...set };
    },
    { params: UserParams, body: SetRolesBody, response: UserRolesView },
  );
