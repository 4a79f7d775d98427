import * as grpc from "@grpc/grpc-js";
import { type RiderUpdate, RiderUpdate as RiderUpdateContract } from "@qc/contracts/api/rider-tracking";
import { fromProto, toProto } from "@qc/contracts/grpc/mirror";
import { RiderPositionSchema, RiderTracking } from "@qc/contracts/grpc/services";
import { definitionOf } from "../../shared/grpc/codec";

/**
 * A rider app on `RiderTracking/Track`: opens the stream at `target` as the holder of `token` (none: no
 * credentials), sends the positions `gapMs` apart, ends its side and collects what delivery streamed back.
 */
export function trackRider(
  target: string,
  token: string | null,
  positions: object[],
  gapMs = 0,
): Promise<{ updates: RiderUpdate[]; status: grpc.status }> {
  return new Promise((resolve) => {
    const track = definitionOf(RiderTracking).track;
    const Client = grpc.makeGenericClientConstructor(definitionOf(RiderTracking), "RiderTracking");
    const client = new Client(target, grpc.credentials.createInsecure());
    const metadata = new grpc.Metadata();
    if (token) metadata.set("authorization", `Bearer ${token}`);
    const call = client.makeBidiStreamRequest(
      "/qc.delivery.v1.RiderTracking/Track",
      track?.requestSerialize ?? ((value: Buffer) => value),
      track?.responseDeserialize ?? ((value: Buffer) => value),
      metadata,
    );
    const updates: RiderUpdate[] = [];
    call.on("data", (update) => updates.push(fromProto(RiderUpdateContract, update)));
    call.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve({ updates, status: status.code });
    });
    // The outcome is the status above; an error event repeats it.
    call.on("error", () => undefined);
    void (async () => {
      for (const position of positions) {
        call.write(toProto(RiderPositionSchema, position) as never);
        if (gapMs) await Bun.sleep(gapMs);
      }
      call.end();
    })();
  });
}
