import { z } from "zod";
import { Email, Id, Role, text } from "../common";

export const RegisterBody = z.object({
  email: Email,
  password: text().min(8).max(128),
  name: text().trim().min(1).max(100),
});
export type RegisterBody = z.infer<typeof RegisterBody>;
export const RegisterResponse = z.object({ userId: Id });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

export const LoginBody = z.object({ email: Email, password: text().min(1).max(128) });
export type LoginBody = z.infer<typeof LoginBody>;

export const TokenPair = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds until the access token expires. */
  expiresIn: z.int().positive(),
});
export type TokenPair = z.infer<typeof TokenPair>;

export const RefreshBody = z.object({ refreshToken: text().min(1).max(4096) });
export type RefreshBody = z.infer<typeof RefreshBody>;
export const LogoutBody = RefreshBody;
export type LogoutBody = z.infer<typeof LogoutBody>;

/** Claims of the access token the edge verifies against the JWKS. */
export const AccessTokenClaims = z.object({
  sub: Id,
  roles: z.array(Role),
  /** The stores a store_staff member or rider belongs to (absent: none). */
  storeIds: z.array(Id).max(50).optional(),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.int(),
  iat: z.int(),
});
export type AccessTokenClaims = z.infer<typeof AccessTokenClaims>;
