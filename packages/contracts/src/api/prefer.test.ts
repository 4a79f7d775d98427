import { describe, expect, it } from "bun:test";
import { MAX_PREFER_WAIT_SECONDS, PreferHeader, preferredWaitSeconds } from "./prefer";

describe("preferredWaitSeconds", () => {
  it("reads wait=N among other preferences", () => {
    expect(preferredWaitSeconds("wait=5")).toBe(5);
    expect(preferredWaitSeconds("respond-async, wait=3")).toBe(3);
    expect(preferredWaitSeconds("WAIT = 7")).toBe(7);
    expect(preferredWaitSeconds('wait="2"')).toBe(2);
    expect(preferredWaitSeconds("wait=0")).toBe(0);
  });

  it("caps a longer wait at the most checkout honours", () => {
    expect(preferredWaitSeconds("wait=60")).toBe(MAX_PREFER_WAIT_SECONDS);
    expect(MAX_PREFER_WAIT_SECONDS).toBe(10);
  });

  it("asks for no wait when there is none or it is not a whole number", () => {
    for (const prefer of [undefined, null, "", "respond-async", "wait=", "wait=abc", "wait=-1", "wait=1.5"]) {
      expect(preferredWaitSeconds(prefer)).toBeUndefined();
    }
  });

  it("bounds the header's size", () => {
    expect(PreferHeader.safeParse("wait=5").success).toBe(true);
    expect(PreferHeader.safeParse(`wait=5, ${"x".repeat(300)}`).success).toBe(false);
  });
});
