import pino, { type DestinationStream, type Logger } from "pino";
import { currentScope } from "./scope";
import { currentTraceId } from "./tracing";

export type { Logger };

// Keys whose values are credentials wherever they appear (top level or up to three objects deep).
const SECRET_KEYS = [
  "password",
  "newPassword",
  "currentPassword",
  "passwordHash",
  "token",
  "accessToken",
  "refreshToken",
  "idToken",
  "apiKey",
  "api_key",
  "secret",
  "clientSecret",
  "authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-edge-signature",
  "privateKey",
  "cardNumber",
];

const redactPaths = SECRET_KEYS.flatMap((key) => {
  const bracketed = !/^[A-Za-z_$][\w$]*$/.test(key);
  const segment = bracketed ? `["${key}"]` : `.${key}`;
  return [bracketed ? segment : key, `*${segment}`, `*.*${segment}`, `*.*.*${segment}`];
});

/**
 * One JSON line per event, tagged with the service and, inside a request or message, its correlation id,
 * order id and trace id; secrets and tokens (passwords, tokens, API keys, card tokens such as
 * `payment.token`, authorization and cookie headers) are replaced by "[redacted]" at any depth up to four.
 */
export function createLogger(service: string, level = "info", destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service },
      redact: { paths: redactPaths, censor: "[redacted]" },
      mixin() {
        const { correlationId, orderId } = currentScope();
        const traceId = currentTraceId();
        return {
          ...(correlationId ? { correlationId } : {}),
          ...(orderId ? { orderId } : {}),
          ...(traceId ? { traceId } : {}),
        };
      },
    },
    destination,
  );
}
