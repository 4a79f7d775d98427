import { describe, expect, it } from "bun:test";
import { loadConfig } from "../config";
import { serviceUrl } from "./context";

describe("serviceUrl", () => {
  it("is the service's own port on HOST when no URL is set (one machine)", () => {
    expect(serviceUrl(loadConfig({ HOST: "127.0.0.1" }), "inventory")).toBe("http://127.0.0.1:4005");
  });

  it("is <SERVICE>_URL when set (a Kubernetes Service's DNS name)", () => {
    const config = loadConfig({ HOST: "0.0.0.0", INVENTORY_URL: "http://inventory:4005" });
    expect(serviceUrl(config, "inventory")).toBe("http://inventory:4005");
    expect(serviceUrl(config, "pricing")).toBe("http://0.0.0.0:4003");
  });
});
