import { authenticate } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";

/**
 * Login and register: per IP, strict (`RATE_LIMIT_CREDENTIALS_PER_MINUTE`, 10), and refused when Redis is
 * down (see WhenRedisDown).
 */
export const credentialsLimit = rateLimit({
  name: "credentials",
  limit: (env) => Number(env.RATE_LIMIT_CREDENTIALS_PER_MINUTE) || 10,
  windowSeconds: 60,
  by: "ip",
  whenRedisDown: "closed",
});

/**
 * Checkout: per user, strict (`RATE_LIMIT_CHECKOUT_PER_MINUTE`, 5); stays available when Redis is down.
 * A var, like the others here, so a load test can drive checkout through the edge.
 */
export const checkoutLimit = rateLimit({
  name: "checkout",
  limit: (env) => Number(env.RATE_LIMIT_CHECKOUT_PER_MINUTE) || 5,
  windowSeconds: 60,
});

/** Every signed-in call: per user (`RATE_LIMIT_USER_PER_MINUTE`, 300). */
export const userLimit = rateLimit({
  name: "user",
  limit: (env) => Number(env.RATE_LIMIT_USER_PER_MINUTE) || 300,
  windowSeconds: 60,
});

/** Signed-in routes: a valid token, then the caller's own window. */
export const signedIn = [authenticate(), userLimit] as const;
