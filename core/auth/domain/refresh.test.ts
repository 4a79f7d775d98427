import { describe, expect, it } from "bun:test";
import { judgeRefresh } from "./refresh";

const now = new Date("2026-01-01T00:00:00Z");
const later = new Date("2026-01-02T00:00:00Z");

describe("judgeRefresh", () => {
  it("rotates a live token", () => {
    expect(judgeRefresh({ rotated_at: null, revoked_at: null, expires_at: later }, now)).toBe("rotate");
  });
  it("treats a rotated token as reuse, even after it expired", () => {
    expect(judgeRefresh({ rotated_at: now, revoked_at: null, expires_at: now }, later)).toBe("reused");
  });
  it("refuses a revoked family before anything else", () => {
    expect(judgeRefresh({ rotated_at: now, revoked_at: now, expires_at: later }, now)).toBe("revoked");
  });
  it("refuses an expired token", () => {
    expect(judgeRefresh({ rotated_at: null, revoked_at: null, expires_at: now }, now)).toBe("expired");
  });
});
