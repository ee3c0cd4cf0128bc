/**
 * Section 2, scaling: the gas of the operations that draw from the stake tree (request: one
 * executor; QUORUM request: three; challenge: a committee of three verifiers) as staked nodes grow,
 * and of request / submit / finalize as open jobs grow. Each must be flat or logarithmic; reported
 * as the ratio last/first and a least-squares slope in gas per tenfold.
 *
 * Nodes are added through contracts/test/StakerSwarm.sol (25 per transaction), as scripts/gas.ts does;
 * swarm executors opt in to the job's model as they stake (executors are drawn per model).
 * The model is exact (QUORUM is allowed only for exact models) and audits at the least rate (5%);
 * OPTIMISTIC submissions of the open-jobs series are ones the audit lottery passes over, so that
 * every finalize pays (an audited one would open a dispute and draw a committee).
 */
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { StakerSwarm__factory } from "../../packages/node/src/typechain";
import { collateralOf, deployWorld, EXACT, Mode, nextEpoch, requestJob, requestParams, Role, SAMPLE_OUTPUT, signerOf, submitUnaudited, TOKEN, WRONG_OUTPUT, type World } from "../../test/fixtures/protocol";
import { log, mean, round, slopePerDecade } from "./common";

export interface Series {
  name: string;
  /** What grows along x. */
  axis: "staked nodes" | "open jobs";
  points: { x: number; gas: number }[];
  ratio: number;
  slopePerDecade: number;
  /** Slope as a share of the first point: the growth per tenfold, in percent. */
  slopePercentPerDecade: number;
}

export interface ScalingSection {
  nodeSizes: number[];
  openJobSizes: number[];
  samples: number;
  series: Series[];
}

const PER_NODE = 200n * TOKEN;
let SAMPLES = 6; // per point; 4 in a quick run
// The least OPTIMISTIC fee at the fixture policy's 5% audit rate (its verifier share funds the expected
// audit: 5% x 3 seats x 0.1 GLASS / 10%): ten thousand jobs cost 1,500 GLASS.
const FEE = 15n * 10n ** 16n;

function series(name: string, axis: Series["axis"], points: { x: number; gas: number }[]): Series {
  const first = points[0].gas;
  const last = points[points.length - 1].gas;
  const slope = slopePerDecade(points.map((p) => ({ x: p.x, y: p.gas })));
  return { name, axis, points, ratio: round(last / first, 4), slopePerDecade: Math.round(slope), slopePercentPerDecade: round((100 * slope) / first, 2) };
}

async function grow(w: World, role: number, size: number, swarm: Awaited<ReturnType<typeof spawnSwarm>>): Promise<void> {
  const had = Number(await swarm.count());
  for (let have = had; have < size; have = Number(await swarm.count())) {
    const n = Math.min(25, size - have);
    await (await swarm.spawn(w.token, w.stakes, role, n, PER_NODE, w.modelId, { gasLimit: 16_000_000 })).wait();
  }
  // An executor is drawn only for the models it opted in to: the new ones join the jobs' model.
  await nextEpoch(w); // draws read the stake snapshot (and model pools) of the epoch they were armed in
}

async function spawnSwarm(w: World, nodes: number) {
  const swarm = await new StakerSwarm__factory(w.admin).deploy();
  await (await w.token.mint(await swarm.getAddress(), PER_NODE * BigInt(nodes))).wait();
  return swarm;
}

/** Gives each of `signers` `amount` more GLASS and stakes it for `role`. */
async function stakeMore(w: World, signers: World["executors"], role: number, amount: bigint): Promise<void> {
  for (const s of signers) {
    await (await w.token.mint(s.address, amount)).wait();
    await (await w.stakes.connect(s).stake(role, amount)).wait();
  }
  await nextEpoch(w); // draws read the stake snapshot of the epoch they were armed in
}

/** request (1 executor) and QUORUM request (3) against a growing executor swarm. */
async function requestByNodes(sizes: number[]): Promise<Series[]> {
  const w = await deployWorld({ executors: 0, verifiers: 3, policy: EXACT });
  const swarm = await spawnSwarm(w, Math.max(...sizes));
  const single: { x: number; gas: number }[] = [];
  const quorum: { x: number; gas: number }[] = [];
  for (const size of sizes) {
    await grow(w, Role.EXECUTOR, size, swarm);
    const one: number[] = [];
    const three: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      await mine(1); // a new seed: each draw walks another path of the tree
      one.push(Number((await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE })).receipt.gasUsed));
      three.push(Number((await requestJob(w, { mode: Mode.QUORUM, fee: FEE })).receipt.gasUsed));
    }
    single.push({ x: size, gas: Math.round(mean(one)) });
    quorum.push({ x: size, gas: Math.round(mean(three)) });
    log(`scaling: ${size} staked executors: request ${single.at(-1)!.gas}, QUORUM request ${quorum.at(-1)!.gas} gas`);
  }
  return [series("request (draw 1 executor)", "staked nodes", single), series("QUORUM request (draw 3)", "staked nodes", quorum)];
}

/** challenge (committee of 3 drawn) against a growing verifier swarm. */
async function challengeByNodes(sizes: number[]): Promise<Series> {
  const w = await deployWorld({ executors: 3, verifiers: 3, policy: EXACT });
  await stakeMore(w, w.executors, Role.EXECUTOR, 5_000n * TOKEN);
  const swarm = await spawnSwarm(w, Math.max(...sizes));
  const points: { x: number; gas: number }[] = [];
  for (const size of sizes) {
    await grow(w, Role.VERIFIER, size, swarm);
    const gas: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
      await (await w.jobs.connect(signerOf(w.executors, job.assigned[0])).submitResult(job.jobId, WRONG_OUTPUT)).wait();
      await mine(1);
      gas.push(Number((await (await w.jobs.connect(w.verifiers[0]).challenge(job.jobId)).wait())!.gasUsed));
    }
    points.push({ x: size, gas: Math.round(mean(gas)) });
    log(`scaling: ${size} staked verifiers: challenge ${points.at(-1)!.gas} gas`);
  }
  return series("challenge (draw committee of 3)", "staked nodes", points);
}

/** request, submit and finalize of one more job while `size` jobs are open (assigned, unanswered). */
async function byOpenJobs(sizes: number[]): Promise<Series[]> {
  const w = await deployWorld({ executors: 5, verifiers: 3, policy: EXACT });
  const most = Math.max(...sizes);
  // Each open job locks its collateral (max(minimum, 22 x fee): the 20 GLASS minimum at this fee):
  // stake for all of them, with room to spare.
  const perJob = collateralOf(FEE, Mode.OPTIMISTIC, w.params);
  await stakeMore(w, w.executors, Role.EXECUTOR, (BigInt(most) * 2n * perJob) / BigInt(w.executors.length) + TOKEN);
  await (await w.token.mint(w.requester.address, BigInt(most + 100) * FEE)).wait();
  // Warm: every executor has served one job (credits exist), as in the gas section.
  const served = new Set<string>();
  while (served.size < w.executors.length) {
    const warm = await requestJob(w, { mode: Mode.NONE, fee: FEE });
    await w.jobs.connect(signerOf(w.executors, warm.assigned[0])).submitResult(warm.jobId, SAMPLE_OUTPUT);
    served.add(warm.assigned[0]);
  }
  const fill = await requestParams({ mode: Mode.OPTIMISTIC, fee: FEE, deadline: (await time.latest()) + 29 * 24 * 3600 });
  const req: { x: number; gas: number }[] = [];
  const sub: { x: number; gas: number }[] = [];
  const fin: { x: number; gas: number }[] = [];
  let open = 0;
  const started = Date.now();
  for (const size of sizes) {
    // Automine: each is mined on send; a fixed gas limit spares an estimate per request.
    for (; open < size; open++) await w.jobs.connect(w.requester).requestInference(fill, { gasLimit: 1_000_000 });
    const r: number[] = [];
    const s: number[] = [];
    const f: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const job = await requestJob(w, { mode: Mode.OPTIMISTIC, fee: FEE });
      r.push(Number(job.receipt.gasUsed));
      s.push(Number((await (await submitUnaudited(w, job.jobId, signerOf(w.executors, job.assigned[0]), SAMPLE_OUTPUT)).wait())!.gasUsed));
      await time.increase(1801);
      f.push(Number((await (await w.jobs.finalize(job.jobId)).wait())!.gasUsed));
    }
    req.push({ x: size, gas: Math.round(mean(r)) });
    sub.push({ x: size, gas: Math.round(mean(s)) });
    fin.push({ x: size, gas: Math.round(mean(f)) });
    log(`scaling: ${size} open jobs: request ${req.at(-1)!.gas}, submit ${sub.at(-1)!.gas}, finalize ${fin.at(-1)!.gas} gas (${Math.round((Date.now() - started) / 1000)} s)`);
  }
  return [series("request", "open jobs", req), series("submit", "open jobs", sub), series("finalize", "open jobs", fin)];
}

export async function runScaling(quick: boolean): Promise<ScalingSection> {
  SAMPLES = quick ? 4 : 6;
  const nodeSizes = quick ? [10, 100, 1000] : [10, 100, 1000, 10000];
  const openJobSizes = quick ? [1, 10, 100, 1000] : [1, 10, 100, 1000, 10000];
  const out: Series[] = [];
  out.push(...(await requestByNodes(nodeSizes)));
  out.push(await challengeByNodes(nodeSizes));
  out.push(...(await byOpenJobs(openJobSizes)));
  return { nodeSizes, openJobSizes, samples: SAMPLES, series: out };
}
