import type { RefreshToken } from "../db/schema";

export type RefreshVerdict = "rotate" | "reused" | "revoked" | "expired";

/**
 * What presenting this refresh token means. A token that was already rotated is being replayed: either
 * the holder or a thief has an older copy, and we cannot tell which, so the whole family must end.
 */
export function judgeRefresh(
  token: Pick<RefreshToken, "rotated_at" | "revoked_at" | "expires_at">,
  now: Date,
): RefreshVerdict {
  if (token.revoked_at) return "revoked";
  if (token.rotated_at) return "reused";
  if (token.expires_at.getTime() <= now.getTime()) return "expired";
  return "rotate";
}
