import { LoginBody, LogoutBody, RefreshBody, RegisterBody } from "@qc/contracts";
import { Hono } from "hono";
import { forward } from "../core/forward";
import type { AppEnv } from "../env";
import { validate } from "../middleware/validate";
import { credentialsLimit } from "./limits";

/** /v1/auth: credentials are rate limited per IP; everything is validated, then forwarded to auth. */
export const auth = new Hono<AppEnv>()
  .post("/register", credentialsLimit, validate("json", RegisterBody), (c) =>
    forward(c, "auth", c.req.valid("json")),
  )
  .post("/login", credentialsLimit, validate("json", LoginBody), (c) =>
    forward(c, "auth", c.req.valid("json")),
  )
  .post("/refresh", validate("json", RefreshBody), (c) => forward(c, "auth", c.req.valid("json")))
  .post("/logout", validate("json", LogoutBody), (c) => forward(c, "auth", c.req.valid("json")))
  .get("/.well-known/jwks.json", (c) => forward(c, "auth"));
