import * as grpc from "@grpc/grpc-js";
import { Id } from "@qc/contracts";
import { RiderPosition, RiderUpdate } from "@qc/contracts/api/rider-tracking";
import { toProto } from "@qc/contracts/grpc/mirror";
import {
  type RiderPosition as RiderPositionMessage,
  RiderTracking,
  type RiderUpdate as RiderUpdateMessage,
  RiderUpdateSchema,
} from "@qc/contracts/grpc/services";
import { accessTokenVerifier } from "../../shared/auth/access-token";
import type { GrpcService } from "../../shared/grpc/server";
import type { ServiceContext } from "../../shared/runtime/context";
import type { Database } from "../db/schema";
import { takePositionSlot } from "../use-cases/position-slot";
import { recordPosition } from "../use-cases/record-position";

const BEARER = /^Bearer (\S+)$/;

/**
 * The rider app's bi-directional stream: the rider is who their access token says (a JWT of auth, checked
 * against auth's JWKS; role `rider`, else UNAUTHENTICATED / PERMISSION_DENIED before any position is read).
 * Each position is validated (coordinates in range, no NaN), kept at most once a second per rider, and only for
 * the rider's own delivery; every position gets an answer: the new ETA and what to do next, or a notice why
 * it was not kept. A position whose order id is not even an id ends the stream (INVALID_ARGUMENT).
 */
export const riderTrackingRpc = (ctx: ServiceContext<Database>): GrpcService => {
  const verify = accessTokenVerifier(ctx.config);

  const riderOf = async (metadata: grpc.Metadata): Promise<string | grpc.StatusObject> => {
    const token = BEARER.exec(String(metadata.get("authorization")[0] ?? ""))?.[1];
    const claims = token ? await verify(token).catch(() => null) : null;
    if (!claims)
      return { code: grpc.status.UNAUTHENTICATED, details: "a rider's access token is required", metadata };
    if (!claims.roles.includes("rider"))
      return { code: grpc.status.PERMISSION_DENIED, details: "only riders report positions", metadata };
    return claims.sub;
  };

  const answer = async (riderUserId: string, message: RiderPositionMessage): Promise<RiderUpdate> => {
    const orderId = message.orderId;
    const refused = (notice: NonNullable<RiderUpdate["notice"]>, instruction: string): RiderUpdate => ({
      orderId,
      etaMinutes: null,
      instruction,
      notice,
    });
    const position = RiderPosition.safeParse({ ...message });
    if (!position.success) return refused("invalid_position", "Send a position with valid coordinates");
    if (!(await takePositionSlot(ctx.redis, ctx.config, riderUserId)))
      return refused("rate_limited", "Position dropped: at most one a second is kept");
    // Not in the order's scope: a rider probing other orders' ids is not tagged as their work.
    const outcome = await recordPosition(ctx.db, riderUserId, position.data);
    if (!outcome.kept)
      return refused(
        outcome.notice,
        outcome.notice === "delivery_closed" ? "This delivery is over" : "Not your delivery",
      );
    return { orderId, etaMinutes: outcome.etaMinutes, instruction: outcome.instruction, notice: null };
  };

  const track: grpc.handleBidiStreamingCall<RiderPositionMessage, RiderUpdateMessage> = (call) => {
    // Positions are answered one after another, in the order they came; the stream ends after the last answer.
    const rider = riderOf(call.metadata);
    let answered = Promise.resolve(true);
    const fail = (status: Partial<grpc.StatusObject>) => {
      call.emit("error", status);
      return false;
    };
    const handle = async (message: RiderPositionMessage) => {
      const who = await rider;
      if (typeof who !== "string") return fail(who);
      if (!Id.safeParse(message.orderId).success)
        return fail({ code: grpc.status.INVALID_ARGUMENT, details: "orderId is not an id" });
      call.write(toProto(RiderUpdateSchema, RiderUpdate.parse(await answer(who, message))));
      return true;
    };
    call.on("data", (message: RiderPositionMessage) => {
      answered = answered
        .then((open) => (open ? handle(message) : false))
        .catch((error) => {
          ctx.logger.error({ err: error }, "rider stream failed");
          return fail({ code: grpc.status.INTERNAL, details: "internal error" });
        });
    });
    // A stream without a rider's token is refused at once, before it sends anything.
    void rider.then((who) => {
      if (typeof who !== "string") answered = answered.then((open) => open && fail(who));
    });
    call.on("end", () => {
      void answered.then((open) => open && call.end());
    });
  };

  return { service: RiderTracking, handlers: { track } };
};
