import { describe, expect, it } from "bun:test";
import { groupCommits } from "./group-commit";

describe("group commit", () => {
  it("hands submissions made in one turn of the event loop over in one call", async () => {
    const calls: number[][] = [];
    const rounds = groupCommits<number>(async (batch) => {
      calls.push(batch);
    });
    await Promise.all([rounds.submit(1), rounds.submit(2), rounds.submit(3)]);
    await rounds.submit(4);
    expect(calls).toEqual([[1, 2, 3], [4]]);
  });

  it("rejects every submission of a failed call and keeps serving later ones", async () => {
    let fail = true;
    const rounds = groupCommits<string>(async () => {
      if (fail) throw new Error("deadlock detected");
    });
    const first = Promise.allSettled([rounds.submit("a"), rounds.submit("b")]);
    expect((await first).map((result) => result.status)).toEqual(["rejected", "rejected"]);
    fail = false;
    await expect(rounds.submit("c")).resolves.toBeUndefined();
  });
});
