import { z } from "zod";
import type { TopicName } from "../topics";
import { authMessages } from "./auth";
import { cartMessages } from "./cart";
import { catalogMessages } from "./catalog";
import type { MessageDefinition } from "./define";
import { deliveryMessages } from "./delivery";
import { Envelope, type MessageMeta, newMessageId } from "./envelope";
import { inventoryMessages } from "./inventory";
import { orderMessages } from "./order";
import { paymentMessages } from "./payment";
import { pricingMessages } from "./pricing";

type Definitions = readonly MessageDefinition<string, z.ZodType>[];
type DefinitionOf<D extends Definitions, T extends string> = Extract<D[number], { type: T }>;

/** A message of type `T` as described by a definition list, after parsing or creation. */
export type MessageIn<D extends Definitions, T extends D[number]["type"]> = Omit<
  Envelope,
  "type" | "data"
> & {
  type: T;
  data: z.output<DefinitionOf<D, T>["schema"]>;
};
/** Any message of a definition list, discriminated by `type`. */
export type AnyMessageIn<D extends Definitions> = {
  [T in D[number]["type"]]: MessageIn<D, T>;
}[D[number]["type"]];

export type InvalidMessageReason = "invalid_envelope" | "unknown_type" | "unknown_version" | "invalid_data";

/** A message that cannot be accepted; it will not get better on retry, so it belongs in the DLQ. */
export class InvalidMessageError extends Error {
  constructor(
    readonly reason: InvalidMessageReason,
    message: string,
    readonly issues: readonly z.core.$ZodIssue[] = [],
  ) {
    super(message);
    this.name = "InvalidMessageError";
  }
}

function validated<S extends z.ZodType>(
  schema: S,
  data: unknown,
  what: string,
  reason: InvalidMessageReason,
) {
  const result = schema.safeParse(data);
  if (!result.success)
    throw new InvalidMessageError(reason, `${what}: ${z.prettifyError(result.error)}`, result.error.issues);
  return result.data as z.output<S>;
}

/** Builds a registry over message definitions: typed creation, parsing with upcasting, topic lookup. */
export function createRegistry<const D extends Definitions>(definitions: D) {
  type Type = D[number]["type"];
  const byType = new Map<string, MessageDefinition>();
  for (const definition of definitions) {
    if (byType.has(definition.type)) throw new Error(`message type ${definition.type} is registered twice`);
    byType.set(definition.type, definition);
  }

  function definitionOf(type: string): MessageDefinition {
    const definition = byType.get(type);
    if (!definition) throw new InvalidMessageError("unknown_type", `unknown message type ${type}`);
    return definition;
  }

  /** Lifts data of an older version one step at a time until it is the latest version. */
  function upcast(definition: MessageDefinition, version: number, data: unknown): unknown {
    let current = data;
    for (let from = version; from < definition.version; from++) {
      const step = definition.legacy?.find((legacy) => legacy.version === from);
      if (!step) {
        throw new InvalidMessageError("unknown_version", `${definition.type} v${from} has no upcaster`);
      }
      current = step.upcast(validated(step.schema, current, `${definition.type} v${from}`, "invalid_data"));
    }
    return current;
  }

  return {
    definitions,

    /** The topic a message type is published on. */
    topicOf(type: Type): TopicName {
      return definitionOf(type).topic;
    },

    /** The version new messages of a type are written with. */
    latestVersion(type: Type): number {
      return definitionOf(type).version;
    },

    /** Creates a message at the latest version; `data` is checked at compile time and at runtime. */
    createMessage<T extends Type>(
      type: T,
      data: z.input<DefinitionOf<D, T>["schema"]>,
      meta: MessageMeta,
    ): MessageIn<D, T> {
      const definition = definitionOf(type);
      const parsed = validated(definition.schema, data, type, "invalid_data");
      const occurredAt = meta.occurredAt ?? new Date();
      return {
        id: meta.id ?? newMessageId(),
        type,
        version: definition.version,
        source: meta.source,
        subject: meta.subject ?? definition.subject(parsed),
        correlationId: meta.correlationId,
        causationId: meta.causationId ?? null,
        traceparent: meta.traceparent ?? null,
        occurredAt: typeof occurredAt === "string" ? occurredAt : occurredAt.toISOString(),
        data: parsed as MessageIn<D, T>["data"],
      };
    },

    /** Validates an envelope and its data; older versions are upcast to the latest. Throws InvalidMessageError. */
    parseMessage(raw: unknown): AnyMessageIn<D> {
      const envelope = validated(Envelope, raw, "envelope", "invalid_envelope");
      const definition = definitionOf(envelope.type);
      if (envelope.version > definition.version) {
        throw new InvalidMessageError(
          "unknown_version",
          `${envelope.type} v${envelope.version} is newer than v${definition.version}`,
        );
      }
      const lifted = upcast(definition, envelope.version, envelope.data);
      const data = validated(
        definition.schema,
        lifted,
        `${envelope.type} v${definition.version}`,
        "invalid_data",
      );
      return { ...envelope, version: definition.version, data } as AnyMessageIn<D>;
    },
  };
}

export type Registry<D extends Definitions = Definitions> = ReturnType<typeof createRegistry<D>>;

export const messageDefinitions = [
  ...orderMessages,
  ...inventoryMessages,
  ...paymentMessages,
  ...deliveryMessages,
  ...catalogMessages,
  ...pricingMessages,
  ...cartMessages,
  ...authMessages,
] as const;

/** The registry of every message QuickCommerce sends. */
export const messages = createRegistry(messageDefinitions);

type All = typeof messageDefinitions;
export type MessageType = All[number]["type"];
/** e.g. `MessageOf<"StockReserved">`. */
export type MessageOf<T extends MessageType> = MessageIn<All, T>;
export type DataOf<T extends MessageType> = MessageOf<T>["data"];
/** Any QuickCommerce message, discriminated by `type`. */
export type AnyMessage = AnyMessageIn<All>;

export const createMessage = messages.createMessage;
export const parseMessage = messages.parseMessage;
export const topicOf = messages.topicOf;
