/**
 * Section 1, gas: every operation of a job in every verification mode, with and without a dispute,
 * on Hardhat's in-process network, and each job's whole life (the sum of every transaction anyone
 * sends for it). Priced in ETH at GAS_PRICES_GWEI; the GLASS cost of a job is its fee.
 *
 * Warm state, as scripts/gas.ts: every executor has served a job and holds an unclaimed credit, so
 * first-time storage writes are not counted.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { assignJob, deployWorld, EXACT, mineAfter, Mode, requestJob, runQuorum, SAMPLE_OUTPUT, signerOf, submitAudited, submitUnaudited, TOKEN, Verdict, voteAll, WRONG_OUTPUT, type World } from "../../test/fixtures/protocol";
import { ethAt, GAS_PRICES_GWEI } from "./common";

/** One kind of transaction in a scenario; `gas` has one entry per time it was sent. */
export interface GasOp {
  op: string;
  /** Who sends it. */
  by: string;
  gas: number[];
}

export interface Scenario {
  mode: "NONE" | "OPTIMISTIC" | "QUORUM";
  name: string;
  dispute: boolean;
  ops: GasOp[];
  /** Sum of every transaction of the job's life. */
  lifeGas: number;
  /** ETH of the whole life at each price of GAS_PRICES_GWEI. */
  lifeEth: Record<string, number>;
}

export interface GasSection {
  feeGlass: number;
  gasPricesGwei: number[];
  scenarios: Scenario[];
  note: string;
}

const FEE = TOKEN; // 1 GLASS
const CHALLENGE_WINDOW = 1801;

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  return Number((await (await tx).wait())!.gasUsed);
}

const gasList = (rs: ContractTransactionReceipt[]) => rs.map((r) => Number(r.gasUsed));

function scenario(mode: Scenario["mode"], name: string, dispute: boolean, ops: GasOp[]): Scenario {
  const lifeGas = ops.reduce((sum, o) => sum + o.gas.reduce((a, b) => a + b, 0), 0);
  return { mode, name, dispute, ops, lifeGas, lifeEth: Object.fromEntries(GAS_PRICES_GWEI.map((g) => [`${g}gwei`, ethAt(lifeGas, g)])) };
}

/** Every executor serves one job so that credits and balances exist (see the header). */
async function warmUp(w: World): Promise<void> {
  const served = new Set<string>();
  while (served.size < w.executors.length) {
    const warm = await requestJob(w, { mode: Mode.NONE, fee: FEE });
    await w.jobs.connect(signerOf(w.executors, warm.assigned[0])).submitResult(warm.jobId, SAMPLE_OUTPUT);
    served.add(warm.assigned[0]);
  }
}

async function none(w: World): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.NONE, fee: FEE });
  const submit = await gasOf(w.jobs.connect(signerOf(w.executors, job.assigned[0])).submitResult(job.jobId, SAMPLE_OUTPUT));
  return scenario("NONE", "NONE: request, submit (paid at once)", false, [
    { op: "request (arms the draw)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "assign (draws the executor)", by: "executor node", gas: [Number(job.assignReceipt.gasUsed)] },
    { op: "submit (pays)", by: "executor", gas: [submit] },
  ]);
}

async function optimistic(w: World): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
  const submit = await gasOf(submitUnaudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), SAMPLE_OUTPUT));
  await time.increase(CHALLENGE_WINDOW);
  const finalize = await gasOf(w.jobs.finalize(job.jobId));
  return scenario("OPTIMISTIC", "OPTIMISTIC: unchallenged", false, [
    { op: "request (arms the draw)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "assign (draws the executor)", by: "executor node", gas: [Number(job.assignReceipt.gasUsed)] },
    { op: "submit", by: "executor", gas: [submit] },
    { op: "finalize", by: "anyone", gas: [finalize] },
  ]);
}

/** A wrong result, challenged, judged Invalid; the job goes to a second executor, who is paid. */
async function optimisticChallenged(w: World): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
  const bad = await gasOf(submitUnaudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), WRONG_OUTPUT));
  const challenge = await gasOf(w.jobs.connect(w.verifiers[0]).challenge(job.jobId));
  const disputeId = await w.disputes.disputeOfJob(job.jobId);
  const pin = await pinGas(w, disputeId);
  const votes = await voteAll(w, disputeId, Verdict.Invalid);
  const resolve = await gasOf(w.jobs.resolveDispute(job.jobId));
  const reassign = Number((await assignJob(w, job.jobId)).receipt.gasUsed);
  const again = await w.jobs.jobOf(job.jobId);
  const submit = await gasOf(submitUnaudited(w, job.jobId, signerOf(w.executors, again.executor), SAMPLE_OUTPUT));
  await time.increase(CHALLENGE_WINDOW);
  const finalize = await gasOf(w.jobs.finalize(job.jobId));
  return scenario("OPTIMISTIC", "OPTIMISTIC: wrong result challenged, Invalid, re-executed", true, [
    { op: "request (arms the draw)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "assign (draws the executor)", by: "executor node", gas: [Number(job.assignReceipt.gasUsed)] },
    { op: "submit (wrong)", by: "executor", gas: [bad] },
    { op: "challenge (arms the committee draw)", by: "verifier", gas: [challenge] },
    { op: "drawCommittee (the pin)", by: "verifier node", gas: [pin] },
    { op: "vote commit", by: "committee", gas: gasList(votes.commits) },
    { op: "vote reveal", by: "committee", gas: gasList(votes.reveals) },
    { op: "resolve Invalid (slash, arms a new draw)", by: "anyone", gas: [resolve] },
    { op: "assign (2nd executor)", by: "executor node", gas: [reassign] },
    { op: "submit (2nd executor)", by: "executor", gas: [submit] },
    { op: "finalize", by: "anyone", gas: [finalize] },
  ]);
}

/** A right result challenged anyway: the committee upholds it, the challenger loses its bond. */
async function optimisticUpheld(w: World): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
  const submit = await gasOf(submitUnaudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), SAMPLE_OUTPUT));
  const challenge = await gasOf(w.jobs.connect(w.verifiers[0]).challenge(job.jobId));
  const votes = await voteAll(w, await w.disputes.disputeOfJob(job.jobId), Verdict.Valid);
  const resolve = await gasOf(w.jobs.resolveDispute(job.jobId));
  return scenario("OPTIMISTIC", "OPTIMISTIC: right result challenged, Valid", true, [
    { op: "request (arms the draw)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "assign (draws the executor)", by: "executor node", gas: [Number(job.assignReceipt.gasUsed)] },
    { op: "submit", by: "executor", gas: [submit] },
    { op: "challenge (draws committee)", by: "verifier", gas: [challenge] },
    { op: "vote commit", by: "committee", gas: gasList(votes.commits) },
    { op: "vote reveal", by: "committee", gas: gasList(votes.reveals) },
    { op: "resolve Valid (pays)", by: "anyone", gas: [resolve] },
  ]);
}

/** The audit lottery picks the result (the submission is retried until it does): finalize opens the audit, Valid pays. */
async function optimisticAudited(w: World): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
  // A submission the audit lottery picks (audit rates are 5-20% now; retried until it does).
  const submit = await gasOf(submitAudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), SAMPLE_OUTPUT));
  await time.increase(CHALLENGE_WINDOW);
  const finalize = await gasOf(w.jobs.finalize(job.jobId));
  const votes = await voteAll(w, await w.disputes.disputeOfJob(job.jobId), Verdict.Valid);
  const resolve = await gasOf(w.jobs.resolveDispute(job.jobId));
  return scenario("OPTIMISTIC", "OPTIMISTIC: audited by the lottery, Valid", true, [
    { op: "request (arms the draw)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "assign (draws the executor)", by: "executor node", gas: [Number(job.assignReceipt.gasUsed)] },
    { op: "submit", by: "executor", gas: [submit] },
    { op: "finalize (opens audit, draws committee)", by: "anyone", gas: [finalize] },
    { op: "vote commit", by: "committee", gas: gasList(votes.commits) },
    { op: "vote reveal", by: "committee", gas: gasList(votes.reveals) },
    { op: "resolve Valid (pays)", by: "anyone", gas: [resolve] },
  ]);
}

async function quorum(w: World, wrongSeat: boolean): Promise<Scenario> {
  const job = await requestJob(w, { mode: Mode.QUORUM, fee: FEE });
  const outputs = job.assigned.map((_, i) => (wrongSeat && i === job.assigned.length - 1 ? WRONG_OUTPUT : SAMPLE_OUTPUT));
  const round = await runQuorum(w, job.jobId, job.assigned, outputs);
  const finalize = await gasOf(w.jobs.finalize(job.jobId));
  return scenario("QUORUM", wrongSeat ? "QUORUM: 2 of 3 agree, the third is slashed" : "QUORUM: 3 of 3 agree", wrongSeat, [
    { op: "request (draws 3)", by: "requester", gas: [Number(job.receipt.gasUsed)] },
    { op: "result commit", by: "executors", gas: gasList(round.commits) },
    { op: "result reveal", by: "executors", gas: gasList(round.reveals) },
    { op: wrongSeat ? "finalize (tally, pay, slash)" : "finalize (tally, pay)", by: "anyone", gas: [finalize] },
  ]);
}

export async function runGas(): Promise<GasSection> {
  // An exact model: it may allow every mode, QUORUM included.
  const w = await deployWorld({ executors: 5, verifiers: 5, policy: EXACT });
  await warmUp(w);
  const scenarios = [
    await none(w),
    await optimistic(w),
    await optimisticChallenged(w),
    await optimisticUpheld(w),
    await optimisticAudited(w),
    await quorum(w, false),
    await quorum(w, true),
  ];
  return {
    feeGlass: Number(FEE / 10n ** 15n) / 1000,
    gasPricesGwei: GAS_PRICES_GWEI,
    scenarios,
    note:
      "Hardhat network, warm state (executors hold unclaimed credits), DEVNET_PARAMS (committee of 3, quorum of 3), " +
      "inline input/output of the test fixtures; a job's GLASS cost is its fee (1 GLASS here; the protocol minimum is the " +
      "params' minFee and the model's minFee), split executor / the model's audit pot 10% / model owner 10% / treasury 5%. " +
      "The model is exact (QUORUM is allowed only for exact models) and audits 5% of OPTIMISTIC results; the scenarios that " +
      "should not be audited use a submission the audit lottery passes over, the audited one a submission it picks. " +
      "Each executor of a job that verifies locks max(20 GLASS, 22 x fee): 22 GLASS at this fee, all of it slashed on Invalid " +
      "(at most the 2 GLASS bounty to the challenger, the rest to the treasury). Finalization makes no callback: the " +
      "requester's contract, if any, is called by a separate deliver(), not counted here.",
  };
}

/** Gas of pinning `disputeId`'s committee once its randomness is known (anyone sends it). */
async function pinGas(w: World, disputeId: bigint): Promise<number> {
  await mineAfter((await w.disputes.disputeOf(disputeId)).drawTarget);
  return gasOf(w.disputes.drawCommittee(disputeId));
}
