import { expect } from "chai";
import {
  EXECUTOR_ACTIONS,
  finishUnrun,
  readPendingAction,
  runTimedAction,
  VERIFIER_ACTIONS,
  type PendingAction,
  type TimedActionHandlers,
  type TimedActionKind,
  type VerifierActionKind,
} from "../src/roles/timedActions";

/** Handlers that record which kind ran with which payload, and answer `finished`. */
function recording(finished: boolean): { handlers: TimedActionHandlers; ran: [TimedActionKind, unknown][] } {
  const ran: [TimedActionKind, unknown][] = [];
  const record = async (action: PendingAction): Promise<boolean> => {
    ran.push([action.kind, action.payload]);
    return finished;
  };
  const handlers = Object.fromEntries([...EXECUTOR_ACTIONS, ...VERIFIER_ACTIONS].map((kind) => [kind, record])) as TimedActionHandlers;
  return { handlers, ran };
}

describe("timed actions", function () {
  it("belong to exactly one role each", function () {
    const kinds = [...EXECUTOR_ACTIONS, ...VERIFIER_ACTIONS];
    expect(new Set(kinds).size).to.equal(kinds.length);
  });

  it("run with the handler of their kind, which says whether they are finished", async function () {
    const { handlers, ran } = recording(false);
    const reveal: PendingAction<"revealVote"> = { key: "reveal-vote:3", kind: "revealVote", notBefore: 0, payload: { disputeId: "3", jobId: "9", verdict: "2", salt: "0x01" } };
    expect(await runTimedAction(handlers, reveal)).to.equal(false);
    expect(await runTimedAction(handlers, { key: "assign:9:40", kind: "assign", notBefore: 0, payload: { jobId: "9", target: "40" } })).to.equal(false);
    expect(ran).to.deep.equal([
      ["revealVote", reveal.payload],
      ["assign", { jobId: "9", target: "40" }],
    ]);
  });

  it("of a role the node does not run are finished without running", async function () {
    const off = finishUnrun(VERIFIER_ACTIONS);
    expect(Object.keys(off).sort()).to.deep.equal([...VERIFIER_ACTIONS].sort());
    expect(await off.timeout({ key: "watch-timeout:1:1", kind: "timeout", notBefore: 0, payload: { jobId: "1", attempt: "1" } })).to.equal(true);
  });

  it("need a handler for every kind of a role (a missing one does not compile)", function () {
    const done = async () => true;
    // @ts-expect-error finalizeRound has no handler
    const incomplete: TimedActionHandlers<VerifierActionKind> = { drawCommittee: done, revealVote: done, resolveDispute: done, startAudit: done, timeout: done };
    expect(Object.keys(incomplete)).to.have.length(5);
  });

  it("are read from a stored row only with every field of their kind's payload", function () {
    expect(readPendingAction("k", "finalize", 5, { jobId: "4" })).to.deep.equal({ key: "k", kind: "finalize", notBefore: 5, payload: { jobId: "4" } });
    expect(readPendingAction("k", "revealResult", 0, { jobId: "4", salt: "0x01" })).to.deep.equal({ unreadable: "revealResult without output" });
    expect(readPendingAction("k", "finalize", 0, { jobId: 4 })).to.deep.equal({ unreadable: "finalize without jobId" });
    expect(readPendingAction("k", "executor.finalize", 0, { jobId: "4" })).to.deep.equal({ unreadable: 'unknown kind "executor.finalize"' });
    expect(readPendingAction("k", "toString", 0, {})).to.deep.equal({ unreadable: 'unknown kind "toString"' });
  });
});
