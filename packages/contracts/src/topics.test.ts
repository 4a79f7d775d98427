import { describe, expect, it } from "bun:test";
import { dlqTopic, topicDeclarations, topicNames, withPrefix } from "./topics";

describe("topics", () => {
  it("follow <context>.<events|commands|replies>.v<major>", () => {
    for (const name of topicNames) expect(name).toMatch(/^[a-z]+\.(events|commands|replies)\.v\d+$/);
  });

  it("name dead letters and prefixes consistently", () => {
    expect(dlqTopic("order.events.v1")).toBe("order.events.v1.dlq");
    expect(withPrefix("", "order.events.v1")).toBe("order.events.v1");
    expect(withPrefix("t42", "order.events.v1")).toBe("t42.order.events.v1");
    expect(withPrefix("t42.", "order.events.v1")).toBe("t42.order.events.v1");
  });

  it("declare every topic and its dead-letter topic", () => {
    const declared = topicDeclarations("t1").map((topic) => topic.name);
    expect(declared).toHaveLength(topicNames.length * 2);
    expect(declared).toContain("t1.inventory.commands.v1.dlq");
  });
});
