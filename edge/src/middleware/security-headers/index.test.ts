import { describe, expect, it } from "vitest";
import { edge, freshIp } from "../../../test/helpers";

describe("securityHeaders (issue 11, item 12)", () => {
  it("marks every answer nosniff and HTTPS-only, errors included", async () => {
    for (const path of ["/v1/catalog/products?storeId=not-an-id", "/nowhere", "/openapi.json"]) {
      const response = await edge(path, { headers: { "cf-connecting-ip": freshIp() } });
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    }
  });

  it("forbids storing answers that carry tokens", async () => {
    const login = await edge("/v1/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json", "cf-connecting-ip": freshIp() },
      body: JSON.stringify({ email: "someone@example.com", password: "secret-123" }),
    });
    expect(login.headers.get("cache-control")).toBe("no-store");
  });
});
