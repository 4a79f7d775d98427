import { z } from "zod";

/** RFC 7240: the client's preference (`Prefer: wait=5`), and which ones the server applied. */
export const PREFER_HEADER = "Prefer";
export const PREFERENCE_APPLIED_HEADER = "Preference-Applied";

/** The longest `Prefer: wait=N` checkout honours; a larger N is treated as this. */
export const MAX_PREFER_WAIT_SECONDS = 10;

/**
 * The `Prefer` header of a request. Preferences the server does not know are ignored (RFC 7240 §2), so
 * only its size is bounded; `preferredWaitSeconds` reads the `wait` preference out of it.
 */
export const PreferHeader = z.string().max(200);

/**
 * The seconds a `Prefer` header asks the server to wait for a final answer (`wait=N`, 0 ≤ N, capped at
 * MAX_PREFER_WAIT_SECONDS), or undefined when it asks for none or the value is not a whole number.
 * `Prefer: respond-async, wait=5` → 5; `wait=60` → 10; `wait=abc` → undefined.
 */
export function preferredWaitSeconds(prefer: string | null | undefined): number | undefined {
  if (!prefer) return undefined;
  for (const preference of prefer.split(",")) {
    const [name, value] = preference.split(";")[0]?.split("=") ?? [];
    if (name?.trim().toLowerCase() !== "wait") continue;
    const seconds = value?.trim().replace(/^"(.*)"$/, "$1");
    if (!seconds || !/^\d{1,6}$/.test(seconds)) return undefined;
    return Math.min(Number(seconds), MAX_PREFER_WAIT_SECONDS);
  }
  return undefined;
}
