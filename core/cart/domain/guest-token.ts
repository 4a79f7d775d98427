import { jwtVerify, SignJWT } from "jose";

const ISSUER = "quickcommerce-cart";
const AUDIENCE = "quickcommerce-guest-cart";
const encoder = new TextEncoder();

/** Issues a guest identity: a fresh id inside an HS256 JWT that only cart can sign. */
export async function issueGuestToken(
  secret: string,
  ttlSeconds: number,
): Promise<{ guestId: string; guestToken: string }> {
  const guestId = Bun.randomUUIDv7();
  const guestToken = await new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(guestId)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(encoder.encode(secret));
  return { guestId, guestToken };
}

/** The guest id a token names, or null when cart did not sign it, it expired, or it is not a guest token. */
export async function verifyGuestToken(secret: string, token: string): Promise<string | null> {
  try {
    const { payload } = await jwtVerify(token, encoder.encode(secret), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ["HS256"],
    });
    return typeof payload.sub === "string" && /^[0-9a-f-]{36}$/.test(payload.sub) ? payload.sub : null;
  } catch {
    return null;
  }
}
