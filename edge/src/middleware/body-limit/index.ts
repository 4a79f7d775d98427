import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../../env";
import { problem } from "../../errors";

export interface BodySizeLimitOptions {
  maxBytes?: number;
}

/** Refuses bodies over `maxBytes` (declared or streamed) with 413 before anything parses them. */
export function bodySizeLimit(options: BodySizeLimitOptions = {}): MiddlewareHandler<AppEnv> {
  const maxBytes = options.maxBytes ?? 16 * 1024;
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw problem(413, "payload-too-large", `The body exceeds ${maxBytes} bytes`);
    },
  });
  return async function bodySizeLimitMiddleware(c, next) {
    return limit(c, next);
  };
}
