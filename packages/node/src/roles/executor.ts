/**
 * The executor role: serves the jobs assigned to this node's key.
 *
 *   Every job: a request (or a retry) arms an executor draw (DrawArmed); once its target block has
 *     passed, executor nodes send `assign` (anyone may; the first one draws, the others find the job
 *     assigned). The draw follows from that block's randomness alone, so whoever sends it chooses
 *     nothing.
 *
 *   NONE / OPTIMISTIC: JobAssigned -> run -> submitResult (`submit:<jobId>:<attempt>`); for
 *     OPTIMISTIC a finalize is scheduled for the end of the challenge window (anyone may call it;
 *     the executor wants its fee).
 *   QUORUM: RoundOpened -> run -> commitResult (`commit:<jobId>`), the output and salt kept in the
 *     PendingStore first, so a restart can still reveal -> once every seat committed or the commit
 *     phase ended, revealResult (`reveal:<jobId>`) -> once every seat revealed or the reveal phase
 *     ended, finalize (`finalize:<jobId>`).
 *
 * An input that does not fit the model, or a model that cannot be fetched or loaded, is answered
 * with the invalid-input claim `0x00 reason`, never by silence.
 *
 * An output above the publisher's inline limit is published first and posted by reference
 * (`submitResultRef(jobId, keccak256(output), uri)`, store/outputs.ts). Without a publisher an
 * output above the contract's 12 KiB cannot be posted at all: the node says so, names the option
 * to set, and leaves the job to time out.
 */
import { hexlify, keccak256, randomBytes, getBytes } from "ethers";
import { invalidClaim, isInvalidClaim } from "../codec/tensor";
import { Mode, RandomnessStatus, Status } from "../sdk/protocol";
import { MAX_INLINE_OUTPUT_BYTES, type OutputPublisher } from "../store/outputs";
import { act, chainNow, headBlock, sameAddress, type RoleContext } from "./context";
import type { ExecutorActionKind, PendingAction, TimedActionHandlers } from "./timedActions";
import type { DrawArmedEvent, JobAssignedEvent } from "../typechain/contracts/JobRegistry";
import { IRandomnessSource__factory } from "../typechain";
import type { RoundOpenedEvent } from "../typechain/contracts/QuorumManager";

/**
 * Blocks after its target at which the executor records its audit coin's randomness if the job is
 * still waiting for `finalize`: `blockhash` keeps 256 blocks, and a coin nobody can read any more
 * counts as picked for audit.
 */
export const RECORD_AFTER_BLOCKS = 128;

/**
 * What the executor does to its honest output before posting it. Tests inject a dishonest one
 * (perturbed outputs); the node's configuration cannot select one.
 */
export interface OutputStrategy {
  transform(output: Uint8Array, job: { jobId: bigint; attempt: number }): Uint8Array;
}

export interface ExecutorOptions {
  /** Tests only: a dishonest transformation of the outputs. */
  strategy?: OutputStrategy;
  /** Where outputs above the inline limit are published; without one every output goes inline. */
  publisher?: OutputPublisher;
}

export class Executor {
  private readonly strategy?: OutputStrategy;
  private readonly publisher?: OutputPublisher;

  constructor(
    private readonly ctx: RoleContext,
    options: ExecutorOptions = {},
  ) {
    this.strategy = options.strategy;
    this.publisher = options.publisher;
  }

  /** Schedules the `assign` of a job whose executor draw was armed, for once its target block has passed. */
  async onDrawArmed(args: DrawArmedEvent.OutputObject): Promise<void> {
    const { jobId, drawTarget } = args;
    this.ctx.pending.put({ key: `assign:${jobId}:${drawTarget}`, kind: "assign", notBefore: 0, payload: { jobId: jobId.toString(), target: drawTarget.toString() } });
  }

  /** NONE and OPTIMISTIC jobs (QUORUM jobs are served from RoundOpened). */
  async onAssigned(args: JobAssignedEvent.OutputObject, block: number): Promise<void> {
    if (!args.executors.some((e) => sameAddress(e, this.ctx.address))) return;
    const { jobId } = args;
    const attempt = Number(args.attempt);
    const key = `submit:${jobId}:${attempt}`;
    if (this.ctx.cursor.hasAction(key)) return;
    const job = await this.ctx.contracts.jobs.jobOf(jobId);
    const mode = Number(job.mode);
    if (mode === Mode.QUORUM) return;
    if (mode === Mode.ATTESTED) {
      this.ctx.log.warn({ at: "Executor.submit", jobId, attempt }, "ATTESTED jobs need a proof this node cannot make; not served");
      return;
    }
    if (Number(job.status) !== Status.Assigned || Number(job.attempts) !== attempt || !sameAddress(job.executor, this.ctx.address)) {
      this.ctx.log.debug({ at: "Executor.submit", jobId, attempt }, "assignment no longer current; nothing to do");
      return;
    }
    const output = await this.produce(jobId, attempt);
    if (output.length > MAX_INLINE_OUTPUT_BYTES && !this.publisher) {
      this.ctx.log.error(
        { at: "Executor.submit", jobId, attempt, bytes: output.length },
        `the output is larger than the ${MAX_INLINE_OUTPUT_BYTES} bytes the contract takes inline, and this node publishes nothing by reference; set outputBaseUrl (--output-base-url) to serve such outputs. The job will time out`,
      );
      return;
    }
    // OPTIMISTIC: the finalize is scheduled before the submission, so a crash right after it still
    // finalizes; `finalize` itself waits for the challenge window and drops the job if it moved on.
    const finalizeKey = `finalize:${jobId}:${attempt}`;
    if (mode === Mode.OPTIMISTIC) {
      this.ctx.pending.put({ key: finalizeKey, kind: "finalize", notBefore: 0, payload: { jobId: jobId.toString() } });
      this.ctx.pending.put({ key: `record:${jobId}:${attempt}`, kind: "recordAuditCoin", notBefore: 0, payload: { jobId: jobId.toString(), attempt: String(attempt) } });
    }
    const outcome = await this.submit(key, block, jobId, attempt, output);
    if (outcome === "sent") this.ctx.metrics.jobExecuted();
    if (outcome === "refused") this.ctx.pending.delete(finalizeKey);
  }

  /** Posts `output` inline, or publishes it and posts its hash and URI when it is above the inline limit. */
  private async submit(key: string, block: number, jobId: bigint, attempt: number, output: Uint8Array) {
    const { jobs } = this.ctx.contracts;
    // An invalid-input claim always goes inline: the contract reads its marker byte from the output.
    if (this.publisher?.byReference(output) && !isInvalidClaim(output)) {
      const { hash, uri } = this.publisher.publish(output);
      return act(this.ctx, { key, block, at: "Executor.submit", fields: { jobId, attempt, bytes: output.length, uri }, method: jobs.submitResultRef, args: [jobId, hash, uri] });
    }
    return act(this.ctx, { key, block, at: "Executor.submit", fields: { jobId, attempt, bytes: output.length }, method: jobs.submitResult, args: [jobId, output] });
  }

  /** QUORUM: commits to the output and keeps output and salt for the reveal. */
  async onRoundOpened(args: RoundOpenedEvent.OutputObject, block: number): Promise<void> {
    if (!args.members.some((m) => sameAddress(m, this.ctx.address))) return;
    const { jobId } = args;
    const key = `commit:${jobId}`;
    if (this.ctx.cursor.hasAction(key)) return;
    const output = await this.produce(jobId, 1);
    // The salt is stored before the commitment is sent: a crash in between must not lose it.
    const revealKey = `reveal:${jobId}`;
    this.ctx.pending.put({ key: revealKey, kind: "revealResult", notBefore: 0, payload: { jobId: jobId.toString(), output: hexlify(output), salt: hexlify(randomBytes(32)) } });
    const stored = this.ctx.pending.get(revealKey, "revealResult");
    if (!stored) throw new Error(`job ${jobId}: reveal state was not stored`);
    const commitment = await this.ctx.contracts.quorum.commitmentOf(this.ctx.address, jobId, keccak256(stored.payload.output), stored.payload.salt);
    const outcome = await act(this.ctx, {
      key,
      block,
      at: "Executor.commit",
      fields: { jobId },
      method: this.ctx.contracts.quorum.commitResult,
      args: [jobId, commitment],
    });
    if (outcome === "sent") this.ctx.metrics.jobExecuted();
    if (outcome === "refused") this.ctx.pending.delete(revealKey);
  }

  /** The executor's timed actions, each run by its handler; true when it is finished (done or moot) and can be forgotten. */
  timedActions(): TimedActionHandlers<ExecutorActionKind> {
    return {
      assign: (action) => this.assign(action),
      recordAuditCoin: (action) => this.record(action),
      revealResult: (action) => this.reveal(action),
      finalize: (action) => this.finalize(BigInt(action.payload.jobId), action.key),
      resolveAudit: (action) => this.resolve(action),
    };
  }

  /** The output to post: the honest computation (through the injected strategy, if any), or an invalid claim. */
  private async produce(jobId: bigint, attempt: number): Promise<Uint8Array> {
    const result = await this.ctx.book.compute(jobId);
    if (result.kind !== "output") {
      this.ctx.metrics.jobFailed(result.reason);
      this.ctx.log.warn({ at: "Executor.run", jobId, reason: result.reason, err: result.error }, "cannot run the job; posting the invalid claim");
      return invalidClaim(result.reason);
    }
    if (result.refusal) {
      this.ctx.metrics.jobFailed("invalidInput");
      this.ctx.log.info({ at: "Executor.run", jobId, claim: hexlify(result.bytes), err: result.refusal }, "input does not fit the model; posting the invalid claim");
      return result.bytes;
    }
    return this.strategy ? this.strategy.transform(result.bytes, { jobId, attempt }) : result.bytes;
  }

  private async reveal(action: PendingAction<"revealResult">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { quorum, jobs } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    if (Number(job.status) !== Status.Assigned) return true;
    const round = await quorum.roundOf(jobId);
    const now = await chainNow(this.ctx);
    if (Number(round.revealEnd) === 0 && now <= Number(round.commitEnd) && Number(round.commits) < Number(round.seats)) return false;
    const outcome = await act(this.ctx, {
      key: action.key,
      block: await headBlock(this.ctx),
      at: "Executor.reveal",
      fields: { jobId },
      method: quorum.revealResult,
      args: [jobId, getBytes(action.payload.output), action.payload.salt],
    });
    if (outcome === "refused") return false; // e.g. the reveal phase has not opened yet: try again next step
    if (outcome === "sent" || outcome === "duplicate") {
      this.ctx.pending.put({ key: `finalize:${jobId}:1`, kind: "finalize", notBefore: 0, payload: { jobId: jobId.toString() } });
    }
    return true;
  }

  /** Draws a job's executor(s) once its draw target has passed; done once the job is no longer waiting on this draw. */
  private async assign(action: PendingAction<"assign">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { jobs } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    if (Number(job.status) !== Status.Unassigned || String(job.auditTarget) !== action.payload.target) return true;
    if ((await chainNow(this.ctx)) >= Number(job.deadline)) return true; // too late: the requester cancels
    if ((await headBlock(this.ctx)) <= Number(action.payload.target)) return false;
    const outcome = await act(this.ctx, {
      key: action.key,
      block: await headBlock(this.ctx),
      at: "Executor.assign",
      fields: { jobId },
      method: jobs.assign,
      args: [jobId],
      doneByOthers: async () => {
        const now = await jobs.jobOf(jobId);
        return String(now.auditTarget) !== action.payload.target || Number(now.status) !== Status.Unassigned;
      },
    });
    return outcome !== "refused" || Number((await jobs.jobOf(jobId)).status) !== Status.Unassigned;
  }

  /**
   * Keeps the audit coin of a submitted OPTIMISTIC result readable: once its target is
   * RECORD_AFTER_BLOCKS old and the job still waits for `finalize`, records the target's randomness
   * (a coin that is lost counts as picked). On a chain where finalize comes sooner this sends nothing.
   */
  private async record(action: PendingAction<"recordAuditCoin">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { jobs } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    if (Number(job.status) !== Status.Submitted || String(job.attempts) !== action.payload.attempt) return true;
    const target = Number(job.auditTarget);
    if ((await headBlock(this.ctx)) <= target + RECORD_AFTER_BLOCKS) return false;
    const source = IRandomnessSource__factory.connect(await jobs.RANDOMNESS(), this.ctx.signer);
    const [status] = await source.randomnessOf(target);
    if (Number(status) !== RandomnessStatus.Ready) return true; // not Ready: recorded already (still Ready) is caught by record's idempotence
    const outcome = await act(this.ctx, { key: action.key, block: await headBlock(this.ctx), at: "Executor.recordAuditCoin", fields: { jobId, target }, method: source.record, args: [target] });
    return outcome !== "refused";
  }

  /**
   * Resolves the dispute of one of this node's results once it can be decided (its collateral is
   * locked until then): after the pin window when no committee was drawn, after the reveal phase
   * (or the last reveal) otherwise. Verifier nodes do the same; whoever comes first settles it.
   */
  private async resolve(action: PendingAction<"resolveAudit">): Promise<boolean> {
    const jobId = BigInt(action.payload.jobId);
    const { jobs, disputes } = this.ctx.contracts;
    if (Number((await jobs.jobOf(jobId)).status) !== Status.Disputed) return true;
    const d = await disputes.disputeOf(await disputes.disputeOfJob(jobId));
    const now = await chainNow(this.ctx);
    const ready = d.drawn
      ? Number(d.validVotes) + Number(d.invalidVotes) >= Number(d.seats) || now > Number(d.revealEnd)
      : now > Number(d.openedAt) + Number((await disputes.params()).commitWindow);
    if (!ready) return false;
    const outcome = await act(this.ctx, {
      key: action.key,
      block: await headBlock(this.ctx),
      at: "Executor.resolveDispute",
      fields: { jobId },
      method: jobs.resolveDispute,
      args: [jobId],
      doneByOthers: async () => Number((await jobs.jobOf(jobId)).status) !== Status.Disputed,
    });
    return outcome !== "refused" || Number((await jobs.jobOf(jobId)).status) !== Status.Disputed;
  }

  /** OPTIMISTIC: after the challenge window. QUORUM: once every seat revealed or the reveal phase ended. */
  private async finalize(jobId: bigint, key: string): Promise<boolean> {
    const { jobs, quorum } = this.ctx.contracts;
    const job = await jobs.jobOf(jobId);
    const mode = Number(job.mode);
    const status = Number(job.status);
    const waiting = mode === Mode.QUORUM ? Status.Assigned : Status.Submitted;
    if (status !== waiting) return true; // finalized, disputed or refunded by someone else
    const now = await chainNow(this.ctx);
    if (mode === Mode.QUORUM) {
      const round = await quorum.roundOf(jobId);
      const revealEnd = Number(await quorum.revealEndOf(jobId));
      if (Number(round.reveals) < Number(round.seats) && now <= revealEnd) return false;
    } else if (now <= Number(job.phaseEnd)) {
      return false;
    }
    const outcome = await act(this.ctx, { key, block: await headBlock(this.ctx), at: "Executor.finalize", fields: { jobId }, method: jobs.finalize, args: [jobId] });
    // The coin picked it (or was lost): the job is in audit; see that its dispute gets resolved.
    if (Number((await jobs.jobOf(jobId)).status) === Status.Disputed) {
      this.ctx.pending.put({ key: `resolve:${jobId}:${job.attempts}`, kind: "resolveAudit", notBefore: 0, payload: { jobId: jobId.toString() } });
    }
    // Refused while the job still waits: someone may have moved it in the meantime; look again next step.
    return outcome !== "refused";
  }
}
