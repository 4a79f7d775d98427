import { type DescMethod, type DescService, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { MethodDefinition, ServiceDefinition } from "@grpc/grpc-js";

/** The HTTP/2 path of a method, `/qc.pricing.v1.Pricing/QuoteCart`: what a call's signature covers. */
export const pathOf = (method: DescMethod): string => `/${method.parent.typeName}/${method.name}`;

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** Whether the client sends a stream of messages (client-streaming or bidi) rather than one. */
const streamsIn = (method: DescMethod) =>
  method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming";

/**
 * grpc-js's definition of a generated service. A unary request travels as its raw bytes (the caller signs
 * them and the callee verifies them before decoding), everything else as messages of the generated types.
 */
export function definitionOf(service: DescService): ServiceDefinition {
  const method = (desc: DescMethod): MethodDefinition<unknown, unknown> => {
    const raw = desc.methodKind === "unary";
    return {
      path: pathOf(desc),
      requestStream: streamsIn(desc),
      responseStream: desc.methodKind === "server_streaming" || desc.methodKind === "bidi_streaming",
      requestSerialize: (value) => (raw ? (value as Buffer) : asBuffer(toBinary(desc.input, value as never))),
      requestDeserialize: (bytes) => (raw ? bytes : fromBinary(desc.input, bytes)),
      responseSerialize: (value) => asBuffer(toBinary(desc.output, value as never)),
      responseDeserialize: (bytes) => fromBinary(desc.output, bytes),
    };
  };
  return Object.fromEntries(service.methods.map((desc) => [desc.localName, method(desc)]));
}
