import pino, { type Logger } from "pino";

export type { Logger };

/** One JSON line per event, tagged with the service; secrets and tokens never reach a log line. */
export function createLogger(service: string, level = "info"): Logger {
  return pino({
    level,
    base: { service },
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "accessToken",
        "*.accessToken",
        "refreshToken",
        "*.refreshToken",
        "authorization",
        "*.authorization",
        "headers.authorization",
        "*.headers.authorization",
      ],
      censor: "[redacted]",
    },
  });
}
