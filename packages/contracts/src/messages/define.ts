import type { z } from "zod";
import type { TopicName } from "../topics";

/** An older published version and how to lift its data to the next version. */
export type LegacyVersion = {
  version: number;
  schema: z.ZodType;
  // biome-ignore lint/suspicious/noExplicitAny: the result is validated against the next version
  upcast: (data: any) => unknown;
};

export type MessageDefinition<T extends string = string, S extends z.ZodType = z.ZodType> = {
  type: T;
  topic: TopicName;
  /** The latest version; `schema` describes it. */
  version: number;
  schema: S;
  /** The aggregate id the message is about: the envelope subject and the Kafka key. */
  // A method signature keeps definitions of different data assignable to one list.
  subject(data: z.output<S>): string;
  /** Older versions still accepted from the wire, upcast step by step to `version`. */
  legacy?: readonly LegacyVersion[];
};

/** Declares a message type; the literal type name drives typed `createMessage` and `MessageOf`. */
export function defineMessage<const T extends string, S extends z.ZodType>(
  definition: MessageDefinition<T, S>,
): MessageDefinition<T, S> {
  return definition;
}
