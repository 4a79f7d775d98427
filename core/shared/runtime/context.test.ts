import { describe, expect, it } from "bun:test";
import { loadConfig } from "../config";
import { grpcTarget, serviceUrl } from "./context";

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

describe("grpcTarget", () => {
  it("is HOST and the HTTP port + 1000 when nothing is set, so a moved HTTP port moves it along", () => {
    expect(grpcTarget(loadConfig({ HOST: "127.0.0.1", PRICING_PORT: "24003" }), "pricing")).toBe(
      "127.0.0.1:25003",
    );
  });

  it("is the host of <SERVICE>_URL and <SERVICE>_GRPC_PORT when set (a Kubernetes Service)", () => {
    const config = loadConfig({ CART_URL: "http://cart:4004", CART_GRPC_PORT: "6004" });
    expect(grpcTarget(config, "cart")).toBe("cart:6004");
  });
});
