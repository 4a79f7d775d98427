/** The longest `Prefer: wait` a checkout honours, in seconds (design brief §6). */
export const MAX_WAIT_SECONDS = 10;

/**
 * The seconds a client asked to wait with `Prefer: wait=N` (RFC 7240), capped at MAX_WAIT_SECONDS; 0 when it
 * did not ask. Other preferences in the header are ignored.
 */
export function preferredWait(header: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*"?(\d{1,4})"?(?=$|[,;\s])/i.exec(header ?? "");
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : 0;
}
