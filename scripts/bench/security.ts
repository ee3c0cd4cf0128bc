/**
 * Section 5, the security that money buys. A cheater falsifies a share f of its OPTIMISTIC jobs; each
 * falsified result is caught with probability q per job: q = a (the audit lottery alone) or
 * q = 1 - (1-a)(1-w)^V (with V verifiers each re-running a share w of results and challenging a wrong
 * one). P(caught within N jobs) = 1 - (1 - f q)^N.
 *
 * Checked on Hardhat's in-process network: one executor that cheats on a seeded share f of many
 * OPTIMISTIC jobs of a model audited at rate a; counts the audits the lottery opens on cheats and
 * compares the per-job rate with f a (Wilson 95% interval). One audit is carried to the committee's
 * verdict to measure the slash (the job's whole collateral).
 *
 * The expected profit of a wrong answer on one job is docs/ARCHITECTURE.md's "Why a wrong answer
 * loses money", computed with deploy/economics.ts in exact integer arithmetic:
 *
 *   E = (1 - q h) f - q h (C - bounty),   C = max(minimum, f x multipleBps / 10,000) <= maximum
 *
 * with h the probability that a committee rules a wrong result Invalid against a 10% adversary, the
 * bounty the most of the slash a cheater's own challenger can win back, and the fee as the value of
 * the compute saved (an upper bound: the cheater saves at most what the job pays; V = 0). E rises
 * with f while the minimum binds and falls once the multiple binds, so its largest value over every
 * fee the chain accepts (minFee to the cap) is where the multiple starts to bind.
 */
import { ethers } from "hardhat";
import { time, mine } from "@nomicfoundation/hardhat-network-helpers";
import { catchProbability, collateralFor, invalidVerdictProbability, largestFee, leastMultipleBps, type Fraction } from "../../deploy/economics";
import type { NetworkParams } from "../../deploy/params";
import { collateralOf, defaultPolicy, deployWorld, Mode, nextEpoch, requestParams, Role, SAMPLE_OUTPUT, TOKEN, Verdict, voteAll, WRONG_OUTPUT } from "../../test/fixtures/protocol";
import { log, prng, round, wilson } from "./common";
import { AUDIT_RATE, glass, shippedParams, WATCH_SHARE, WATCHING_VERIFIERS } from "./params";

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
  feeGlass: number;
  /** The slash measured when one audited cheat was judged Invalid. */
  slashMeasuredGlass: number;
  /** The job's collateral at that fee: max(minimum, 22 x fee), what an Invalid verdict takes. */
  collateralGlass: number;
  seconds: number;
}

/** Parameter files whose economic terms are the same (they share one set of rows). */
export interface EconomicTerms {
  files: string[];
  minimumGlass: number;
  multipleBps: number;
  maximumGlass: number;
  bountyGlass: number;
  minFeeGlass: number;
  minAuditRateBps: number;
  committeeSize: number;
  /** P(a committee rules a wrong result Invalid) against a 10% adversary. */
  h: number;
  /** deploy/economics.ts leastMultipleBps: loadParams refuses a file below it. */
  leastMultipleBps: number;
  /** The fee from which 22 x fee exceeds the minimum: the most profitable fee for a wrong answer. */
  bindsFromFeeGlass: number;
  /** The largest fee a mode that verifies accepts (collateral <= maximum; FeeAboveCollateralCap above). */
  largestFeeGlass: number;
  /** The accepted fee where E is largest: bindsFromFee, held between minFee and the cap. */
  worstFeeGlass: number;
  /** E at worstFee with q = minAuditRateBps: the largest expected profit at any fee the chain accepts. */
  worstExpectedProfitGlass: number;
  /** Checked exactly: E < 0 at the binding fee (the maximum of E while the minimum binds), and once the multiple binds E falls with the fee from a negative start. */
  negativeAtEveryFee: boolean;
}

export interface ProfitRow {
  files: string;
  catchModel: string;
  q: number;
  h: number;
  feeBasis: string;
  feeGlass: number;
  /** What the executor locks and an Invalid verdict takes: max(minimum, fee x multiple). */
  collateralGlass: number;
  bountyGlass: number;
  expectedProfitGlass: number;
  /** The sign, from exact integer arithmetic. */
  negative: boolean;
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
  terms: EconomicTerms[];
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
  // Executors are drawn per model: the cheater joins the simulated model's pool, drawn from the next stake epoch on.
  await (await w.stakes.connect(cheater).optIn(2n)).wait();
  await nextEpoch(w);
  // The least fee the chain accepts at this audit rate: its verifier share funds the expected audit
  // (fee x verifierBps >= rate x committeeSize x auditReward), and never below the model's 0.01 GLASS.
  const verifierBps = BigInt(w.params.jobs.verifierBps);
  const auditFloor = (BigInt(auditBps) * BigInt(w.params.disputes.committeeSize) * BigInt(w.params.disputes.auditReward) + verifierBps - 1n) / verifierBps;
  const fee = auditFloor > 10n ** 16n ? auditFloor : 10n ** 16n;
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
    // The requests arm the executor draws: assign each once its target has passed (executor nodes do).
    await mine(3);
    for (let i = 0; i < n; i++) await w.jobs.assign(first + BigInt(i), { gasLimit: 1_000_000 });
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
      await (await w.jobs.resolveDispute(firstAuditedCheat)).wait();
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
    feeGlass: glass(fee),
    slashMeasuredGlass,
    collateralGlass: glass(collateralOf(fee, Mode.OPTIMISTIC, w.params)),
    seconds: round((Date.now() - began) / 1000, 1),
  };
}

/** 1 - f, for a fraction f <= 1. */
function complement(f: Fraction): Fraction {
  return { num: f.den - f.num, den: f.den };
}

function times(a: Fraction, b: Fraction): Fraction {
  return { num: a.num * b.num, den: a.den * b.den };
}

const asNumber = (f: Fraction) => Number(f.num) / Number(f.den);

/** q with watchers, exact: 1 - (1 - a)(1 - w)^V, w rounded to millionths. */
function watchedQ(auditRateBps: number, w: number, v: number): Fraction {
  const missW: Fraction = { num: 1_000_000n - BigInt(Math.round(w * 1_000_000)), den: 1_000_000n };
  let miss: Fraction = complement({ num: BigInt(auditRateBps), den: 10_000n });
  for (let i = 0; i < v; i++) miss = times(miss, missW);
  return complement(miss);
}

/** E x qh.den in wei: (1 - q h) f - q h (C - bounty), exact. */
function scaledProfit(fee: bigint, qh: Fraction, p: NetworkParams): bigint {
  const c = collateralFor(fee, p.collateral);
  return (qh.den - qh.num) * fee - qh.num * (c - p.disputes.bounty);
}

/** The last fee whose collateral is still the minimum: ((minimum + 1) x 10,000 - 1) / multiple. */
function bindingFee(p: NetworkParams): bigint {
  return largestFee({ ...p.collateral, maximum: p.collateral.minimum });
}

/**
 * Whether E < 0 at every fee from minFee to the cap with catch probability `qh`: E rises with the fee
 * while C = minimum, so its top there is at the binding fee; above it C = floor(f m / 10,000) >=
 * f m / 10,000 - 1 wei, so E <= (1 - qh) f - qh (f m / 10,000 - 1 - bounty), a line whose slope
 * (1 - qh) - qh m / 10,000 must be negative and whose value at the first fee past the binding one
 * must be negative too.
 */
function negativeEverywhere(p: NetworkParams, qh: Fraction): boolean {
  const low = p.jobs.minFee;
  const high = largestFee(p.collateral);
  const bind = bindingFee(p);
  const m = BigInt(p.collateral.multipleBps);
  const bps = 10_000n;
  if (bind >= low && scaledProfit(bind < high ? bind : high, qh, p) >= 0n) return false;
  if (bind >= high) return true;
  const slope = (qh.den - qh.num) * bps - qh.num * m; // x bps
  if (slope >= 0n) return false;
  const start = bind + 1n > low ? bind + 1n : low;
  // Upper bound x bps: (1 - qh) f bps - qh (f m - bps - bounty bps)
  const bound = (qh.den - qh.num) * start * bps - qh.num * (start * m - bps - p.disputes.bounty * bps);
  return bound < 0n;
}

function economics(a: number): { terms: EconomicTerms[]; profit: ProfitRow[] } {
  // Files with the same economic terms share their rows (hardhat and localhost; the testnets).
  const groups = new Map<string, { files: string[]; p: NetworkParams }>();
  for (const { network, params: p } of shippedParams()) {
    const key = [p.collateral.minimum, p.collateral.multipleBps, p.collateral.maximum, p.disputes.bounty, p.jobs.minFee, p.minAuditRateBps, p.disputes.committeeSize].join("/");
    const g = groups.get(key) ?? { files: [], p };
    g.files.push(network);
    groups.set(key, g);
  }
  const terms: EconomicTerms[] = [];
  const profit: ProfitRow[] = [];
  for (const { files, p } of groups.values()) {
    const k = p.disputes.committeeSize;
    const h = invalidVerdictProbability(k);
    const floorQh = catchProbability(p.minAuditRateBps, k);
    const bind = bindingFee(p);
    const cap = largestFee(p.collateral);
    const worst = bind < p.jobs.minFee ? p.jobs.minFee : bind > cap ? cap : bind;
    terms.push({
      files,
      minimumGlass: glass(p.collateral.minimum),
      multipleBps: p.collateral.multipleBps,
      maximumGlass: glass(p.collateral.maximum),
      bountyGlass: glass(p.disputes.bounty),
      minFeeGlass: glass(p.jobs.minFee),
      minAuditRateBps: p.minAuditRateBps,
      committeeSize: k,
      h: asNumber(h),
      leastMultipleBps: Number(leastMultipleBps(p.collateral.minimum, p.disputes.bounty, p.minAuditRateBps, k) ?? -1n),
      bindsFromFeeGlass: round(glass(bind), 6),
      largestFeeGlass: round(glass(cap), 6),
      worstFeeGlass: round(glass(worst), 6),
      worstExpectedProfitGlass: round(Number(scaledProfit(worst, floorQh, p)) / Number(floorQh.den) / 1e18, 6),
      negativeAtEveryFee: negativeEverywhere(p, floorQh),
    });
    const aBps = Math.round(a * 10_000);
    const catches: [string, Fraction][] = [
      [`audit at the floor (${p.minAuditRateBps / 100}%), lottery only`, { num: BigInt(p.minAuditRateBps), den: 10_000n }],
      [`audit at ${aBps / 100}% (devnet models), lottery only`, { num: BigInt(aBps), den: 10_000n }],
      [`audit at ${aBps / 100}% + ${WATCHING_VERIFIERS} watchers at w = ${WATCH_SHARE}`, watchedQ(aBps, WATCH_SHARE, WATCHING_VERIFIERS)],
    ];
    const fees = ([
      ["params minFee", p.jobs.minFee],
      ["multiple starts to bind", bind],
      ["1 GLASS", TOKEN],
      ["1,000 GLASS", 1_000n * TOKEN],
      ["largest accepted (cap)", cap],
    ] as [string, bigint][])
      .filter(([, fee]) => fee >= p.jobs.minFee && fee <= cap)
      .sort(([, x], [, y]) => (x < y ? -1 : x > y ? 1 : 0));
    for (const [catchModel, q] of catches) {
      const qh = times(q, h);
      for (const [feeBasis, fee] of fees) {
        const scaled = scaledProfit(fee, qh, p);
        profit.push({
          files: files.join(", "),
          catchModel,
          q: round(asNumber(q), 4),
          h: round(asNumber(h), 4),
          feeBasis,
          feeGlass: round(glass(fee), 6),
          collateralGlass: round(glass(collateralFor(fee, p.collateral)), 6),
          bountyGlass: glass(p.disputes.bounty),
          expectedProfitGlass: round(Number(scaled) / Number(qh.den) / 1e18, 6),
          negative: scaled < 0n,
        });
      }
    }
  }
  return { terms, profit };
}

export async function runSecurity(quick: boolean): Promise<SecuritySection> {
  const a = AUDIT_RATE;
  const qWatch = 1 - (1 - a) * (1 - WATCH_SHARE) ** WATCHING_VERIFIERS;
  const simulation = await simulate(quick ? 400 : 2000, 0.5, Math.round(a * 10_000), 20261124);
  const { terms, profit } = economics(a);
  const hs = [...new Set(terms.map((t) => `k = ${t.committeeSize}: h = ${round(t.h, 4)}`))].join(", ");
  const multiples = [...new Set(terms.map((t) => `${t.multipleBps / 10_000}`))].join(" or ");
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
    terms,
    profit,
    assumptions: [
      `audit rate a = ${a} (the devnet's model policy; the rate is set per model, and ModelRegistry holds every model that allows OPTIMISTIC between MIN_AUDIT_RATE_BPS, 5% in every shipped file, and 20%)`,
      `watchers: ${WATCHING_VERIFIERS} verifiers each re-running a share w = ${WATCH_SHARE} of results (the node's default --watch-share), independently, and challenging every wrong result they re-run`,
      `P(caught) counts audits and challenges; the expected profit also weighs the committee: a caught wrong result is ruled Invalid with probability h (a committee drawn by stake against an adversary holding 10% of the verifier stake: ${hs}), and then the executor loses the job's whole collateral C = max(minimum, ${multiples} x fee) and the fee`,
      "at most the dispute bounty of the slash can flow back to the cheater (through its own challenger); the rest goes to the treasury",
      "the value of cheating on one job is at most its fee (the compute saved costs the cheater no more than it is paid); the fee is the value at stake (V = 0: a requester whose decision is worth more should raise the fee or check the result, docs/ARCHITECTURE.md)",
      "jobs are independent: the lottery's seed is the hash of the submission block, which the executor does not control",
    ],
  };
}
