/**
 * The verifier role: the model check.
 *
 *   ResultSubmitted (OPTIMISTIC, by another node, watched per `watchShare`): re-run the job, compare
 *     with the claimed output under the model's policy; on a mismatch approve the bond and
 *     challenge (`challenge:<jobId>:<attempt>`). Every OPTIMISTIC result also gets an audit check:
 *     once the lottery can be drawn, `startAudit` if it picked the job (`audit:<jobId>:<attempt>`).
 *   DisputeOpened with a seat here: re-run, compare, commit Valid or Invalid with a random salt
 *     kept in the PendingStore first (`vote:<disputeId>`), reveal once every member committed or
 *     the commit phase ended (`reveal-vote:<disputeId>`), then resolve once every member revealed
 *     or the reveal phase ended (`resolve:<disputeId>`).
 *
 *   JobAssigned / RoundOpened (any job): liveness. A job whose executor misses its window would
 *     stay Assigned until someone acts; the verifier calls `timeout` (`timeout:<jobId>:<attempt>`)
 *     once the execution window is over, or `finalize` of a QUORUM round whose reveal phase is
 *     over (`finalize:<jobId>:1`), each after a per-node grace so that verifiers rarely race.
 *
 * A verifier that could not run the model itself (model missing or unloadable, a by-reference
 * input it cannot fetch or whose bytes are not the committed ones) never votes and never
 * challenges: it logs and abstains. A by-reference output (submitResultRef) is fetched from its
 * URI and checked against its hash; one that cannot be had is judged a wrong output.
 */
import { hexlify, keccak256, randomBytes, getBytes, toUtf8Bytes } from "ethers";
import { Mode, Status, Verdict } from "../sdk/protocol";
import { compareOutputs, type TolerancePolicy } from "../verify/tolerance";
import { IERC20__factory } from "../typechain";
import { act, chainNow, headBlock, sameAddress, send, type RoleContext } from "./context";
import type { PendingAction, TimedActionHandlers, VerifierActionKind } from "./timedActions";
import type { JobAssignedEvent, ResultSubmittedEvent } from "../typechain/contracts/JobRegistry";
import type { RoundOpenedEvent } from "../typechain/contracts/QuorumManager";
import type { CommitteeDrawnEvent, DisputeOpenedEvent } from "../typechain/contracts/DisputeManager";

/** Most seconds of chain time a verifier waits after a window before acting on a stuck job (spread per node). */
export const MAX_LIVENESS_GRACE = 60;

export interface VerifierOptions {
  /** Share of other nodes' OPTIMISTIC results this node re-runs unasked, 0..1 (1: all). */
  watchShare: number;
}

type Check = { kind: "checked"; equal: boolean; reason?: string } | { kind: "abstain"; why: string };

export class Verifier {
  constructor(
    private readonly ctx: RoleContext,
    private readonly options: VerifierOptions,
  ) {
    if (!(options.watchShare >= 0 && options.watchShare <= 1)) throw new RangeError(`watchShare must be in [0, 1], got ${options.watchShare}`);
  }

  /** Schedules a `timeout` of a NONE/OPTIMISTIC assignment, should its executor miss the window. */
  async onAssigned(args: JobAssignedEvent.OutputObject): Promise<void> {
    const { jobId } = args;
    const request = await this.ctx.book.request(jobId);
    if (request.mode === Mode.QUORUM) return; // rounds are watched from RoundOpened
    const attempt = Number(args.attempt);
    const notBefore = Number(args.phaseEnd) + 1 + this.grace();
    this.ctx.pending.put({ key: `watch-timeout:${jobId}:${attempt}`, kind: "timeout", notBefore, payload: { jobId: jobId.toString(), attempt: String(attempt) } });
  }

  /** Schedules the `finalize` of a QUORUM round, should none of its members call it. */
  async onRoundOpened(args: RoundOpenedEvent.OutputObject): Promise<void> {
    const { jobId } = args;
    const notBefore = Number(args.commitEnd) + Number(args.revealWindow) + 1 + this.grace();
    this.ctx.pending.put({ key: `watch-round:${jobId}`, kind: "finalizeRound", notBefore, payload: { jobId: jobId.toString() } });
  }

  async onResultSubmitted(args: ResultSubmittedEvent.OutputObject, block: number): Promise<void> {
    const { jobId } = args;
    if (Number(args.challengeEnd) === 0 || sameAddress(args.executor, this.ctx.address)) return;
    const job = await this.ctx.contracts.jobs.jobOf(jobId);
    if (Number(job.mode) !== Mode.OPTIMISTIC) return;
    const attempt = Number(job.attempts);
    this.ctx.pending.put({ key: `audit:${jobId}:${attempt}`, kind: "startAudit", notBefore: 0, payload: { jobId: jobId.toString() } });
    if (!this.watches(jobId, attempt)) return;
    const key = `challenge:${jobId}:${attempt}`;
    if (this.ctx.cursor.hasAction(key) || Number(job.status) !== Status.Submitted) return;
    const check = await this.check(jobId, { output: getBytes(args.output), outputURI: args.outputURI, outputHash: args.outputHash });
    if (check.kind === "abstain") {
      this.ctx.log.warn({ at: "Verifier.watch", jobId, attempt, why: check.why }, "cannot re-run this job; not challenging");
      return;
    }
    this.ctx.metrics.jobVerified();
    if (check.equal) {
      this.ctx.log.info({ at: "Verifier.watch", jobId, attempt }, "result matches within the model's tolerance");
      return;
    }
    this.ctx.log.warn({ at: "Verifier.watch", jobId, attempt, reason: check.reason }, "result does not match; challenging");
    if (!(await this.approveBond(jobId))) return;
    const outcome = await act(this.ctx, { key, block, at: "Verifier.challenge", fields: { jobId, attempt }, method: this.ctx.contracts.jobs.challenge, args: [jobId] });
    if (outcome !== "sent") return;
    this.ctx.metrics.jobChallenged();
    this.scheduleResolve(jobId, await this.ctx.contracts.disputes.disputeOfJob(jobId));
  }

  /**
   * Pins the committee of a dispute once its randomness is known (any verifier may; the seats follow
   * from the randomness and the stake snapshot, so whoever pins chooses nothing). Every verifier
   * node schedules it, so a dispute is drawn as soon as one of them sees the target pass.
   */
  async onDisputeOpened(args: DisputeOpenedEvent.OutputObject): Promise<void> {
    const { disputeId, jobId } = args;
    this.ctx.pending.put({ key: `draw:${disputeId}`, kind: "drawCommittee", notBefore: 0, payload: { disputeId: disputeId.toString(), jobId: jobId.toString() } });
  }

  async onCommitteeDrawn(args: CommitteeDrawnEvent.OutputObject, block: number): Promise<void> {
    const { disputeId, jobId } = args;
    if (!args.members.some((m) => sameAddress(m, this.ctx.address))) return;
    const key = `vote:${disputeId}`;
    if (this.ctx.cursor.hasAction(key)) return;
    const dispute = await this.ctx.contracts.disputes.disputeOf(disputeId);
    if (dispute.resolved || (await chainNow(this.ctx)) > Number(dispute.commitEnd)) return;
    const [, outputHash, output, outputURI] = await this.ctx.contracts.jobs.resultOf(jobId);
    const check = await this.check(jobId, { output: getBytes(output), outputURI, outputHash });
    if (check.kind === "abstain") {
      // A verifier never votes on a job it did not re-run; it takes the non-reveal penalty instead.
      this.ctx.log.warn({ at: "Verifier.vote", jobId, disputeId, why: check.why }, "cannot re-run this job; abstaining");
      return;
    }
    const verdict = check.equal ? Verdict.Valid : Verdict.Invalid;
    const revealKey = `reveal-vote:${disputeId}`;
    this.ctx.pending.put({
      key: revealKey,
      kind: "revealVote",
      notBefore: 0,
      payload: { disputeId: disputeId.toString(), jobId: jobId.toString(), verdict: String(verdict), salt: hexlify(randomBytes(32)) },
    });
    const stored = this.ctx.pending.get(revealKey, "revealVote");
    if (!stored) throw new Error(`dispute ${disputeId}: reveal state was not stored`);
    const commitment = await this.ctx.contracts.disputes.commitmentOf(this.ctx.address, disputeId, Number(stored.payload.verdict), stored.payload.salt);
    const outcome = await act(this.ctx, {
      key,
      block,
      at: "Verifier.commitVote",
      fields: { jobId, disputeId, verdict: check.equal ? "Valid" : "Invalid", reason: check.reason },
      method: this.ctx.contracts.disputes.commitVote,
      args: [disputeId, commitment],
    });
    if (outcome === "sent") this.ctx.metrics.jobVerified();
    if (outcome === "refused") this.ctx.pending.delete(revealKey);
    this.scheduleResolve(jobId, disputeId);
  }

  /** The verifier's timed actions, each run by its handler; true when it is finished (done or moot) and can be forgotten. */
  timedActions(): TimedActionHandlers<VerifierActionKind> {
    return {
      drawCommittee: (action) => this.draw(action),
      revealVote: (action) => this.reveal(action),
      resolveDispute: (action) => this.resolve(action),
      startAudit: (action) => this.audit(action),
      timeout: (action) => this.timeout(action),
      finalizeRound: (action) => this.roundFinalize(action),
    };
  }

  /** Times out an assignment whose executor let the window pass; true once moot or sent. */
  private async timeout(action: PendingAction<"timeout">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const attempt = Number(action.payload.attempt);
    const { jobs } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    if (Number(job.status) !== Status.Assigned || Number(job.attempts) !== attempt) return true;
    if ((await chainNow(this.ctx)) <= Number(job.phaseEnd)) return false;
    const outcome = await act(this.ctx, { key: `timeout:${jobId}:${attempt}`, block: await headBlock(this.ctx), at: "Verifier.timeout", fields: { jobId, attempt }, method: jobs.timeout, args: [jobId] });
    return outcome !== "refused";
  }

  /** Finalizes a QUORUM round whose reveal phase is over and that no member finalized. */
  private async roundFinalize(action: PendingAction<"finalizeRound">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { jobs, quorum } = this.ctx.contracts;
    if (Number((await jobs.jobOf(jobId)).status) !== Status.Assigned) return true;
    if ((await chainNow(this.ctx)) <= Number(await quorum.revealEndOf(jobId))) return false;
    const outcome = await act(this.ctx, { key: `finalize:${jobId}:1`, block: await headBlock(this.ctx), at: "Verifier.finalize", fields: { jobId }, method: jobs.finalize, args: [jobId] });
    return outcome !== "refused";
  }

  /** This node's grace before liveness actions: a stable spread in [0, MAX_LIVENESS_GRACE). */
  private grace(): number {
    return Number(BigInt(keccak256(toUtf8Bytes(this.ctx.address.toLowerCase()))) % BigInt(MAX_LIVENESS_GRACE));
  }

  /**
   * Re-runs the job and compares the claimed output with this node's own. A by-reference output
   * that cannot be fetched, or whose bytes are not the committed ones, counts as a wrong output:
   * nobody can check it, so its executor must not be paid for it (roles/executor.ts publishes
   * before it submits).
   */
  private async check(jobId: bigint, claim: { output: Uint8Array; outputURI: string; outputHash: string }): Promise<Check> {
    const mine = await this.ctx.book.compute(jobId);
    if (mine.kind !== "output") return { kind: "abstain", why: mine.error };
    let claimed = claim.output;
    if (claimed.length === 0 && claim.outputURI !== "") {
      const fetched = await this.ctx.book.referencedOutput(jobId, claim.outputURI, claim.outputHash);
      if ("unavailable" in fetched) return { kind: "checked", equal: false, reason: `the claimed output cannot be checked: ${fetched.unavailable}` };
      claimed = fetched.bytes;
    }
    const request = await this.ctx.book.request(jobId);
    // The policy the job pinned at its request: a later change never applies to a live job.
    const policy = await this.ctx.contracts.models.policyAt(request.modelId, request.policyVersion);
    const tolerance: TolerancePolicy = { exact: policy.exact, absTolerance: policy.absTolerance, relTolerance: policy.relTolerance };
    const cmp = compareOutputs(claimed, mine.bytes, tolerance);
    return { kind: "checked", equal: cmp.equal, reason: cmp.reason };
  }

  /** A deterministic per-node sample of jobs: the same job is always in or out for this node. */
  private watches(jobId: bigint, attempt: number): boolean {
    if (this.options.watchShare >= 1) return true;
    const h = BigInt(keccak256(toUtf8Bytes(`${this.ctx.address.toLowerCase()}:${jobId}:${attempt}`)));
    return Number(h % 10_000n) < Math.floor(this.options.watchShare * 10_000);
  }

  /** Raises the JobRegistry's allowance (it collects the challenge bond) to the bond if it is lower. */
  private async approveBond(jobId: bigint): Promise<boolean> {
    const { disputes, jobs } = this.ctx.contracts;
    const token = IERC20__factory.connect(await jobs.TOKEN(), this.ctx.signer);
    const bond = (await disputes.params()).challengeBond;
    const target = await jobs.getAddress();
    if ((await token.allowance(this.ctx.address, target)) >= bond) return true;
    try {
      const receipt = await send(this.ctx, await token.approve.populateTransaction(target, bond));
      if (receipt.status === 1) return true;
      this.ctx.log.error({ at: "Verifier.approveBond", jobId, tx: receipt.hash }, "approval reverted");
    } catch (err) {
      this.ctx.metrics.rpcError("Verifier.approveBond");
      this.ctx.log.error({ at: "Verifier.approveBond", jobId, err: String(err) }, "approval failed");
    }
    return false;
  }

  private scheduleResolve(jobId: bigint, disputeId: bigint): void {
    this.ctx.pending.put({ key: `resolve:${disputeId}`, kind: "resolveDispute", notBefore: 0, payload: { disputeId: disputeId.toString(), jobId: jobId.toString() } });
  }

  private async reveal(action: PendingAction<"revealVote">): Promise<boolean> {
    const disputeId = BigInt(action.payload.disputeId);
    const { disputes } = this.ctx.contracts;
    const d = await disputes.disputeOf(disputeId);
    const now = await chainNow(this.ctx);
    if (d.resolved || now > Number(d.revealEnd)) return true;
    if (!this.ctx.cursor.hasAction(`vote:${disputeId}`)) return true; // the commitment was never sent
    if (Number(d.commits) < Number(d.seats) && now <= Number(d.commitEnd)) return false;
    const outcome = await act(this.ctx, {
      key: action.key,
      block: await headBlock(this.ctx),
      at: "Verifier.revealVote",
      fields: { jobId: action.payload.jobId, disputeId },
      method: disputes.revealVote,
      args: [disputeId, Number(action.payload.verdict), action.payload.salt],
    });
    return outcome !== "refused";
  }

  private async resolve(action: PendingAction<"resolveDispute">): Promise<boolean> {
    const disputeId = BigInt(action.payload.disputeId);
    const jobId = BigInt(action.payload.jobId);
    const { disputes } = this.ctx.contracts;
    const d = await disputes.disputeOf(disputeId);
    if (d.resolved) return true;
    const revealed = Number(d.validVotes) + Number(d.invalidVotes);
    if (revealed < Number(d.seats) && (await chainNow(this.ctx)) <= Number(d.revealEnd)) return false;
    const outcome = await act(this.ctx, { key: action.key, block: await headBlock(this.ctx), at: "Verifier.resolve", fields: { jobId, disputeId }, method: this.ctx.contracts.jobs.resolveDispute, args: [jobId] });
    return outcome !== "refused";
  }

  /**
   * Draws a dispute's committee once the block its randomness comes from has passed; done when the
   * committee is drawn (by anyone) or the dispute resolved. A lost randomness re-arms the draw on-chain
   * (DrawRearmed), and the next pass draws from the new target.
   */
  private async draw(action: PendingAction<"drawCommittee">): Promise<boolean> {
    const disputeId = BigInt(action.payload.disputeId);
    const { disputes } = this.ctx.contracts;
    const d = await disputes.disputeOf(disputeId);
    if (d.drawn || d.resolved) return true;
    if ((await chainNow(this.ctx)) > Number(d.openedAt) + Number((await disputes.params()).commitWindow)) return true; // expired: resolves Undecided
    if ((await headBlock(this.ctx)) <= Number(d.drawTarget)) return false;
    const outcome = await act(this.ctx, {
      key: `${action.key}:${d.drawTarget}`,
      block: await headBlock(this.ctx),
      at: "Verifier.drawCommittee",
      fields: { jobId: action.payload.jobId, disputeId },
      method: disputes.drawCommittee,
      args: [disputeId],
      doneByOthers: async () => (await disputes.disputeOf(disputeId)).drawn,
    });
    if (outcome === "refused") return true; // someone else drew it first
    return (await disputes.disputeOf(disputeId)).drawn;
  }

  /** Starts the audit the coin picked, once its randomness is known; drops the check when it did not pick the job. */
  private async audit(action: PendingAction<"startAudit">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { jobs } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    if (Number(job.status) !== Status.Submitted) return true;
    const [known, selected] = await jobs.auditSelected(jobId);
    if (!known) return false; // the coin's target block has not passed yet (a lost coin reads as selected)
    if (!selected) return true;
    const outcome = await act(this.ctx, { key: action.key, block: await headBlock(this.ctx), at: "Verifier.startAudit", fields: { jobId }, method: jobs.startAudit, args: [jobId] });
    return outcome !== "refused";
  }
}
