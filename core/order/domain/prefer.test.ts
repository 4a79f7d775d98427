import { describe, expect, it } from "bun:test";
import { preferredWait } from "./prefer";

describe("Prefer: wait", () => {
  it("reads wait=N among other preferences and caps it at 10 s", () => {
    expect(preferredWait("wait=5")).toBe(5);
    expect(preferredWait("respond-async, wait=3")).toBe(3);
    expect(preferredWait('return=minimal; wait="7"')).toBe(7);
    expect(preferredWait("wait=600")).toBe(10);
  });

  it("is 0 when the client did not ask, or asked for something malformed", () => {
    expect(preferredWait(undefined)).toBe(0);
    expect(preferredWait("return=representation")).toBe(0);
    expect(preferredWait("wait=-1")).toBe(0);
    expect(preferredWait("nowait=5")).toBe(0);
    expect(preferredWait("wait=5x")).toBe(0);
  });
});
