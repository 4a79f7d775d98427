import { z } from "zod";
import { Email, Id, Role } from "../common";
import { defineMessage } from "./define";

const topic = "auth.events.v1";

export const UserRegisteredData = z.object({
  userId: Id,
  email: Email,
  name: z.string().min(1).max(100),
  roles: z.array(Role).min(1),
});
export type UserRegisteredData = z.infer<typeof UserRegisteredData>;
export const SigningKeyRotatedData = z.object({
  kid: z.string().min(1).max(128),
  alg: z.string().min(1).max(16),
});
export type SigningKeyRotatedData = z.infer<typeof SigningKeyRotatedData>;

export const authMessages = [
  defineMessage({
    type: "UserRegistered",
    topic,
    version: 1,
    schema: UserRegisteredData,
    subject: (d) => d.userId,
  }),
  defineMessage({
    type: "SigningKeyRotated",
    topic,
    version: 1,
    schema: SigningKeyRotatedData,
    subject: (d) => d.kid,
  }),
] as const;
