/**
 * Section 5, the security that money buys. A cheater falsifies a share f of its OPTIMISTIC jobs; each
 * falsified result is caught with probability q per job: q = a (the audit lottery alone) or
 * q = 1 - (1-a)(1-w)^V (with V verifiers each re-running a share w of results and challenging a wrong
 * one). P(caught within N jobs) = 1 - (1 - f q)^N.
 *
 * Checked on Hardhat's in-process network: one executor that cheats on a seeded share f of many
 * OPTIMISTIC jobs of a model audited at rate a; counts the audits the lottery opens on cheats and
 * compares the per-job rate with f a (Wilson 95% interval). One audit is carried to the committee's
 * verdict to measure the slash. The expected profit of cheating on one job,
 * (1 - q) fee - q slash, uses the fee as the value of the compute saved (an upper bound: the cheater
 * saves at most what the job pays) and the executor collateral as the slash.
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { defaultPolicy, deployWorld, Mode, requestParams, Role, SAMPLE_OUTPUT, TOKEN, Verdict, voteAll, WRONG_OUTPUT } from "../../test/fixtures/protocol";
import { log, prng, round, wilson } from "./common";
import { AUDIT_RATE, shippedParams, WATCH_SHARE, WATCHING_VERIFIERS } from "./params";

export const SHARES = [0.01, 0.1, 0.5, 1];
export const HORIZONS = [1, 10, 100, 1000];

export interface CatchRow {
  f: number;
  /** P(caught within N) for each N of HORIZONS. */
  p: number[];
}

export interface Simulation {
  jobs: number;
  f: number;
  auditRate: number;
  seed: number;
  cheats: number;
  audits: number;
  auditsOnCheats: number;
  /** auditsOnCheats / jobs against f a. */
  hitRate: number;
  hitRateExpected: number;
  hitRateCi: { low: number; high: number };
  hitRateWithinCi: boolean;
  /** audits / jobs against a (the lottery ignores correctness). */
  auditRateObserved: number;
  auditRateCi: { low: number; high: number };
  auditRateWithinCi: boolean;
  /** The slash measured when one audited cheat was judged Invalid. */
  slashMeasuredGlass: number;
  seconds: number;
}

export interface ProfitRow {
  network: string;
  catchModel: string;
  q: number;
  slashGlass: number;
  feeGlass: number;
  feeBasis: string;
  expectedProfitGlass: number;
  negative: boolean;
  /** The fee above which cheating would pay: q slash / (1 - q). */
  breakEvenFeeGlass: number;
}

export interface SecuritySection {
  auditRate: number;
  watchShare: number;
  watchingVerifiers: number;
  qAuditOnly: number;
  qWithWatchers: number;
  horizons: number[];
  auditOnly: CatchRow[];
  withWatchers: CatchRow[];
  simulation: Simulation;
  profit: ProfitRow[];
  assumptions: string[];
}

export function pCaught(f: number, q: number, n: number): number {
  return 1 - (1 - f * q) ** n;
}

function table(q: number): CatchRow[] {
  return SHARES.map((f) => ({ f, p: HORIZONS.map((n) => pCaught(f, q, n)) }));
}

async function simulate(jobs: number, f: number, auditBps: number, seed: number): Promise<Simulation> {
  const began = Date.now();
  const w = await deployWorld({ executors: 1, verifiers: 3 });
  const cheater = w.executors[0];
  // Audited jobs stay disputed and keep the collateral locked; committees lock verifier stake.
  for (const [s, role] of [[cheater, Role.EXECUTOR] as const, ...w.verifiers.map((v) => [v, Role.VERIFIER] as const)]) {
    await (await w.token.mint(s.address, 100_000n * TOKEN)).wait();
    await (await w.stakes.connect(s).stake(role, 100_000n * TOKEN)).wait();
  }
  await (await w.models.connect(w.modelOwner).registerModel(ethers.sha256(ethers.toUtf8Bytes("sim-model")), "ipfs://sim", defaultPolicy({ auditRateBps: auditBps }))).wait();
  const fee = 10n ** 16n;
  const auditTopic = w.jobs.interface.getEvent("AuditStarted").topicHash;
  const draw = prng(seed);
  let cheats = 0;
  let audits = 0;
  let auditsOnCheats = 0;
  let firstAuditedCheat = 0n;
  let slashMeasuredGlass = Number.NaN;
  const batch = 100; // submissions and finalizations stay within the 256 blocks whose hashes seed the lottery
  for (let done = 0; done < jobs; done += batch) {
    const n = Math.min(batch, jobs - done);
    const p = await requestParams({ modelId: 2n, mode: Mode.OPTIMISTIC, fee });
    const first = (await w.jobs.jobCount()) + 1n;
    for (let i = 0; i < n; i++) await w.jobs.connect(w.requester).requestInference(p, { gasLimit: 1_000_000 });
    const cheated: boolean[] = [];
    for (let i = 0; i < n; i++) {
      const cheat = draw() < f;
      cheated.push(cheat);
      await w.jobs.connect(cheater).submitResult(first + BigInt(i), cheat ? WRONG_OUTPUT : SAMPLE_OUTPUT, { gasLimit: 500_000 });
    }
    await time.increase(1801);
    for (let i = 0; i < n; i++) {
      const receipt = (await (await w.jobs.finalize(first + BigInt(i), { gasLimit: 2_000_000 })).wait())!;
      const audited = receipt.logs.some((l) => l.topics[0] === auditTopic);
      if (cheated[i]) cheats++;
      if (audited) audits++;
      if (audited && cheated[i]) {
        auditsOnCheats++;
        if (firstAuditedCheat === 0n) firstAuditedCheat = first + BigInt(i);
      }
    }
    // The first audited cheat goes to its verdict while its commit window is open: the slash, measured.
    if (firstAuditedCheat !== 0n && Number.isNaN(slashMeasuredGlass)) {
      const before = (await w.stakes.accountOf(cheater.address, Role.EXECUTOR)).active;
      await voteAll(w, await w.disputes.disputeOfJob(firstAuditedCheat), Verdict.Invalid);
      await (await w.disputes.resolve(firstAuditedCheat)).wait();
      slashMeasuredGlass = Number(before - (await w.stakes.accountOf(cheater.address, Role.EXECUTOR)).active) / 1e18;
    }
    log(`security: ${done + n}/${jobs} jobs, ${cheats} cheats, ${audits} audits, ${auditsOnCheats} on cheats`);
  }
  const a = auditBps / 10_000;
  const hitCi = wilson(auditsOnCheats, jobs);
  const auditCi = wilson(audits, jobs);
  return {
    jobs,
    f,
    auditRate: a,
    seed,
    cheats,
    audits,
    auditsOnCheats,
    hitRate: round(auditsOnCheats / jobs, 4),
    hitRateExpected: f * a,
    hitRateCi: { low: round(hitCi.low, 4), high: round(hitCi.high, 4) },
    hitRateWithinCi: hitCi.low <= f * a && f * a <= hitCi.high,
    auditRateObserved: round(audits / jobs, 4),
    auditRateCi: { low: round(auditCi.low, 4), high: round(auditCi.high, 4) },
    auditRateWithinCi: auditCi.low <= a && a <= auditCi.high,
    slashMeasuredGlass,
    seconds: round((Date.now() - began) / 1000, 1),
  };
}

function profits(qAudit: number, qWatch: number): ProfitRow[] {
  const rows: ProfitRow[] = [];
  for (const p of shippedParams()) {
    for (const [catchModel, q] of [["audit only", qAudit], ["audit + watchers", qWatch]] as const) {
      // The protocol's minimum fee, the devnet models' minimum (0.5 GLASS) and the 1 GLASS the bench's jobs pay.
      for (const [feeBasis, feeGlass] of [["params minFee", p.minFeeGlass], ["1 GLASS", 1]] as const) {
        const slash = p.executorCollateralGlass;
        const expected = (1 - q) * feeGlass - q * slash;
        rows.push({
          network: p.network,
          catchModel,
          q: round(q, 4),
          slashGlass: slash,
          feeGlass,
          feeBasis,
          expectedProfitGlass: round(expected, 4),
          negative: expected < 0,
          breakEvenFeeGlass: round((q * slash) / (1 - q), 3),
        });
      }
    }
  }
  return rows;
}

export async function runSecurity(quick: boolean): Promise<SecuritySection> {
  const a = AUDIT_RATE;
  const qWatch = 1 - (1 - a) * (1 - WATCH_SHARE) ** WATCHING_VERIFIERS;
  const simulation = await simulate(quick ? 400 : 2000, 0.5, Math.round(a * 10_000), 20261124);
  return {
    auditRate: a,
    watchShare: WATCH_SHARE,
    watchingVerifiers: WATCHING_VERIFIERS,
    qAuditOnly: a,
    qWithWatchers: round(qWatch, 4),
    horizons: HORIZONS,
    auditOnly: table(a),
    withWatchers: table(qWatch),
    simulation,
    profit: profits(a, qWatch),
    assumptions: [
      `audit rate a = ${a} (the devnet's model policy; the rate is set per model, not in deploy/params)`,
      `watchers: ${WATCHING_VERIFIERS} verifiers each re-running a share w = ${WATCH_SHARE} of results (the node's default --watch-share), independently, and challenging every wrong result they re-run`,
      "a caught cheat is judged Invalid by an honest committee majority and loses its executor collateral (the slash) and the job's fee",
      "the value of cheating on one job is at most its fee (the compute saved costs the cheater no more than it is paid); the fee is the value at stake",
      "jobs are independent: the lottery's seed is the hash of the submission block, which the executor does not control",
    ],
  };
}
