import { authenticate } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";

/** Login and register: per IP, strict, and refused when Redis is down (see WhenRedisDown). */
export const credentialsLimit = rateLimit({
  name: "credentials",
  limit: 10,
  windowSeconds: 60,
  by: "ip",
  whenRedisDown: "closed",
});

/** Checkout: per user, strict; stays available when Redis is down. */
export const checkoutLimit = rateLimit({ name: "checkout", limit: 5, windowSeconds: 60 });

/** Every signed-in call: per user. */
export const userLimit = rateLimit({ name: "user", limit: 300, windowSeconds: 60 });

/** Signed-in routes: a valid token, then the caller's own window. */
export const signedIn = [authenticate(), userLimit] as const;
