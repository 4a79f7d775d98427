import { describe, expect, it } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "./logger";
import { inScope } from "./scope";
import { initTracing, withSpan } from "./tracing";

const SECRETS = {
  password: "hunter2-password-value",
  accessToken: "eyJaccess.token.value",
  refreshToken: "rt_refresh_token_value",
  token: "tok_card_token_value",
  apiKey: "qc_live_api_key_value",
  authorization: "Bearer bearer-token-value",
  cookie: "session=cookie-value",
  signature: "edge-signature-value",
};

/** Captures every JSON line a logger writes. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().trim().split("\n"));
      done();
    },
  });
  return { lines, logger: createLogger("probe", "info", stream) };
}

describe("log lines", () => {
  it("never contain a password, token, API key, card token, authorization header or cookie", () => {
    const { lines, logger } = capture();
    logger.info({ password: SECRETS.password, token: SECRETS.token }, "top level");
    logger.info({ body: { email: "a@b.c", password: SECRETS.password } }, "a register body");
    logger.info(
      { tokens: { accessToken: SECRETS.accessToken, refreshToken: SECRETS.refreshToken } },
      "login",
    );
    logger.info({ order: { payment: { token: SECRETS.token } } }, "an order with a card token");
    logger.info({ apiKey: SECRETS.apiKey, key: { apiKey: SECRETS.apiKey } }, "an api key");
    logger.info(
      {
        req: {
          headers: {
            authorization: SECRETS.authorization,
            cookie: SECRETS.cookie,
            "x-edge-signature": SECRETS.signature,
          },
        },
      },
      "a request",
    );
    logger.info({ lines: [{ payment: { token: SECRETS.token } }] }, "inside an array");
    logger.child({ refreshToken: SECRETS.refreshToken }).info("a child logger's bindings");

    const output = lines.join("\n");
    expect(lines).toHaveLength(8);
    for (const [name, value] of Object.entries(SECRETS)) {
      expect(output, `${name} leaked`).not.toContain(value);
    }
    expect(output).toContain("[redacted]");
    expect(output).toContain("a@b.c");
  });

  it("carry the service, correlation id, order id and trace id of the work in progress", () => {
    initTracing("probe");
    const { lines, logger } = capture();
    const traceId = inScope({ correlationId: "req-1", orderId: "order-1" }, () =>
      withSpan("work", {}, (span) => {
        logger.info("inside");
        return span.spanContext().traceId;
      }),
    );
    logger.info("outside");
    const [inside, outside] = lines.map((line) => JSON.parse(line));
    expect(inside).toMatchObject({ service: "probe", correlationId: "req-1", orderId: "order-1", traceId });
    expect(outside.service).toBe("probe");
    expect(outside.correlationId).toBeUndefined();
    expect(outside.traceId).toBeUndefined();
  });
});
