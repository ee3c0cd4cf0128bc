/**
 * `npm run gas`: measures the gas of every step of a job's life on Hardhat's network and the
 * request's gas as the number of staked executors grows, prints a table and writes
 * reports/gas.json ({ request, submit, finalize, challenge, drawCommittee, commit, reveal, resolve,
 * requestByExecutors: { "10", "100", "1000", "10000" }, drawByVerifiers: { <n>: { perSeat, draw,
 * stakeFirstInEpoch, stakeAgainInEpoch } }, executorStakeByModels: { <models>: { optIn,
 * stakeFirstInEpoch, stakeAgainInEpoch } }, contractSizes: { <name>: bytes }, ... }).
 *
 * Every figure is measured in a warm state (the requester, the vault and the executors have
 * been through one job already), which is what a running network sees.
 */
import fs from "node:fs";
import path from "node:path";
import { artifacts, ethers } from "hardhat";
import { CONTRACT_SIZE_LIMIT, contractSizes } from "./contract-sizes";
import { mine, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse } from "ethers";
import { RecordingCallback__factory, StakerSwarm__factory, TestVrfCoordinator__factory, VrfRandomnessAdapter__factory } from "../packages/node/src/typechain";
import { defaultPolicy, deployWorld, EXACT, Mode, nextEpoch, requestJob, Role, submitUnaudited, SAMPLE_INPUT, SAMPLE_OUTPUT, WRONG_OUTPUT, signerOf, TOKEN, Verdict, runQuorum, voteAll, type World } from "../test/fixtures/protocol";

async function gasOf(tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  return Number(receipt!.gasUsed);
}

async function lifecycle(w: World) {
  // Warm-up: until every executor has served a job and holds an unclaimed credit, so that first-time
  // storage writes (credits, balances) are not counted; a node that claims after every job pays
  // ~17k more per finalization (a credit slot written from zero), reported as finalizeAfterClaim.
  const served = new Set<string>();
  while (served.size < w.executors.length) {
    const warm = await requestJob(w, { mode: Mode.NONE });
    await w.jobs.connect(signerOf(w.executors, warm.assigned[0])).submitResult(warm.jobId, SAMPLE_OUTPUT);
    served.add(warm.assigned[0]);
  }

  const job = await requestJob(w, { mode: Mode.OPTIMISTIC });
  const request = Number(job.receipt.gasUsed);
  // The request only arms the executor draw: `assign` (an executor node, once the target passed) draws.
  const assign = Number(job.assignReceipt.gasUsed);
  const executor = signerOf(w.executors, job.assigned[0]);
  // A submission the audit lottery passes over (the unaudited path is the one measured here).
  const submit = await gasOf(submitUnaudited(w, job.jobId, executor, SAMPLE_OUTPUT));
  await time.increase(1801);
  const finalize = await gasOf(w.jobs.finalize(job.jobId));

  const none = await requestJob(w, { mode: Mode.NONE });
  const submitNone = await gasOf(w.jobs.connect(signerOf(w.executors, none.assigned[0])).submitResult(none.jobId, SAMPLE_OUTPUT));

  // A dispute: a wrong output, challenged, judged Invalid by a committee of three.
  const bad = await requestJob(w, { mode: Mode.OPTIMISTIC });
  await w.jobs.connect(signerOf(w.executors, bad.assigned[0])).submitResult(bad.jobId, WRONG_OUTPUT);
  const challenge = await gasOf(w.jobs.connect(w.verifiers[0]).challenge(bad.jobId));
  const disputeId = await w.disputes.disputeOfJob(bad.jobId);
  // The pin: a separate transaction once the draw's randomness is known (anyone sends it).
  await mine(3);
  const drawCommittee = await gasOf(w.disputes.drawCommittee(disputeId));
  const votes = await voteAll(w, disputeId, Verdict.Invalid);
  const commits = votes.commits.map((r) => Number(r.gasUsed));
  const reveals = votes.reveals.map((r) => Number(r.gasUsed));
  const resolve = await gasOf(w.jobs.resolveDispute(bad.jobId));

  // QUORUM: three commits and reveals, then the tally.
  const q = await requestJob(w, { mode: Mode.QUORUM });
  const round = await runQuorum(w, q.jobId, q.assigned, q.assigned.map(() => SAMPLE_OUTPUT));
  const quorumCommit = Number(round.commits[round.commits.length - 1].gasUsed);
  const quorumReveal = Number(round.reveals[round.reveals.length - 1].gasUsed);
  const quorumFinalize = await gasOf(w.jobs.finalize(q.jobId));

  // The same finalization for an executor that has just claimed everything.
  const again = await requestJob(w, { mode: Mode.OPTIMISTIC });
  const claimer = signerOf(w.executors, again.assigned[0]);
  await submitUnaudited(w, again.jobId, claimer, SAMPLE_OUTPUT);
  await w.vault.connect(claimer).claim();
  await time.increase(1801);
  const finalizeAfterClaim = await gasOf(w.jobs.finalize(again.jobId));

  // The same life for a job with a callback: finalization calls nobody, so the consumer's
  // `deliver` is a fourth transaction (paid by the consumer, never by the executor).
  const consumer = await new RecordingCallback__factory(w.admin).deploy();
  const withCallback = await requestJob(w, { mode: Mode.OPTIMISTIC, callback: await consumer.getAddress(), callbackGasLimit: 100_000 });
  const cbSubmit = await gasOf(submitUnaudited(w, withCallback.jobId, signerOf(w.executors, withCallback.assigned[0]), SAMPLE_OUTPUT));
  await time.increase(1801);
  const cbFinalize = await gasOf(w.jobs.finalize(withCallback.jobId));
  const deliver = await gasOf(w.jobs.deliver(withCallback.jobId, "0x"));

  return {
    request,
    finalizeAfterClaim,
    deliver,
    optimisticLifecycleWithCallback: Number(withCallback.receipt.gasUsed) + Number(withCallback.assignReceipt.gasUsed) + cbSubmit + cbFinalize + deliver,
    submit,
    finalize,
    challenge,
    drawCommittee,
    disputeLifecycle: challenge + drawCommittee + commits.reduce((a, b) => a + b, 0) + reveals.reduce((a, b) => a + b, 0) + resolve,
    commit: Math.max(...commits),
    reveal: Math.max(...reveals),
    resolve,
    assign,
    optimisticLifecycle: request + assign + submit + finalize,
    noneLifecycle: Number(none.receipt.gasUsed) + Number(none.assignReceipt.gasUsed) + submitNone,
    quorum: { request: Number(q.receipt.gasUsed), assign: Number(q.assignReceipt.gasUsed), commit: quorumCommit, reveal: quorumReveal, finalize: quorumFinalize },
  };
}

async function requestByExecutors(sizes: number[]): Promise<Record<string, number>> {
  const w = await deployWorld({ executors: 0, verifiers: 3 });
  const swarm = await new StakerSwarm__factory(w.admin).deploy();
  const perNode = 200n * TOKEN;
  await w.token.mint(await swarm.getAddress(), perNode * BigInt(Math.max(...sizes)));
  const result: Record<string, number> = {};
  const batch = 25;
  for (const size of sizes) {
    while (Number(await swarm.count()) < size) {
      const n = Math.min(batch, size - Number(await swarm.count()));
      await (await swarm.spawn(w.token, w.stakes, Role.EXECUTOR, n, perNode, w.modelId, { gasLimit: 16_000_000 })).wait();
    }
    await nextEpoch(w); // executor seats are drawn from the snapshot of the job model's pool (every swarm executor joined it) as the request's epoch began
    // Average over several requests: each draw walks a different path of the tree.
    const samples: number[] = [];
    for (let i = 0; i < 8; i++) {
      await mine(1);
      // The draw moved to `assign`: request + assign is what scales with the executors.
      const job = await requestJob(w, { mode: Mode.OPTIMISTIC });
      samples.push(Number(job.receipt.gasUsed) + Number(job.assignReceipt.gasUsed));
    }
    result[String(size)] = Math.round(samples.reduce((a, b) => a + b, 0) / samples.length);
    console.log(`  request + assign with ${size} staked executors: ${result[String(size)]} gas (mean of ${samples.length})`);
  }
  return result;
}

/**
 * A committee draw and a verifier's stake change as the number of staked verifiers grows: the draw
 * reads the epoch-tagged sum tree (SnapshotSumTree) once per seat; a stake change writes its path,
 * with the epoch tags, and costs more the first time in an epoch than again in the same epoch.
 */
async function drawByVerifiers(sizes: number[]): Promise<Record<string, { perSeat: number; draw: number; seats: number; stakeFirstInEpoch: number; stakeAgainInEpoch: number }>> {
  const w = await deployWorld({ executors: 3, verifiers: 1 });
  const committeeSize = 7;
  await w.disputes.setParams({ ...w.params.disputes, committeeSize });
  const swarm = await new StakerSwarm__factory(w.admin).deploy();
  const perNode = 200n * TOKEN;
  await w.token.mint(await swarm.getAddress(), perNode * BigInt(Math.max(...sizes)));
  const staker = w.others[0];
  await w.stakes.connect(staker).stake(Role.VERIFIER, 200n * TOKEN);
  const result: Record<string, { perSeat: number; draw: number; seats: number; stakeFirstInEpoch: number; stakeAgainInEpoch: number }> = {};
  for (const size of sizes) {
    while (Number(await swarm.count()) < size) {
      const n = Math.min(10, size - Number(await swarm.count()));
      await (await swarm.spawn(w.token, w.stakes, Role.VERIFIER, n, perNode, 0, { gasLimit: 16_000_000 })).wait();
    }
    await nextEpoch(w);
    const stakeFirstInEpoch = await gasOf(w.stakes.connect(staker).stake(Role.VERIFIER, TOKEN));
    const stakeAgainInEpoch = await gasOf(w.stakes.connect(staker).stake(Role.VERIFIER, TOKEN));
    const draws: number[] = [];
    for (let i = 0; i < 4; i++) {
      const job = await requestJob(w, { mode: Mode.OPTIMISTIC });
      await w.jobs.connect(signerOf(w.executors, job.assigned[0])).submitResult(job.jobId, WRONG_OUTPUT);
      await w.jobs.connect(w.verifiers[0]).challenge(job.jobId);
      await mine(3);
      draws.push(await gasOf(w.disputes.drawCommittee(await w.disputes.disputeOfJob(job.jobId))));
    }
    const draw = Math.round(draws.reduce((a, b) => a + b, 0) / draws.length);
    result[String(size)] = { perSeat: Math.round(draw / committeeSize), draw, seats: committeeSize, stakeFirstInEpoch, stakeAgainInEpoch };
    console.log(`  ${size} staked verifiers: committee draw ${draw} gas (${result[String(size)].perSeat} per seat of ${committeeSize}); stake change ${stakeFirstInEpoch} (first in epoch) / ${stakeAgainInEpoch} (again)`);
  }
  return result;
}

/**
 * An executor's stake change rewrites its weight in the pool of every model it opted in to (at
 * most MAX_MODELS_PER_EXECUTOR), so its gas grows with the models: measured opted in to each count
 * of `counts`, the first change in a stake epoch and a repeat in the same epoch, with `optIn` itself
 * (the opt-in that brought the executor to that count, into a pool of a few executors; it reads the
 * models already joined). Every pool holds the fixture's three executors besides the one measured.
 */
async function executorStakeByModels(counts: number[]): Promise<Record<string, { optIn: number; stakeFirstInEpoch: number; stakeAgainInEpoch: number }>> {
  const w = await deployWorld({ executors: 3, verifiers: 1 });
  const most = Math.max(...counts);
  // Models 2..most besides the fixture's model 1, each with the fixture's executors in its pool.
  for (let i = 2; i <= most; i++) {
    await (await w.models.connect(w.modelOwner).registerModel(ethers.id(`gas-model-${i}`), `ipfs://gas-model-${i}`, defaultPolicy())).wait();
    for (const e of w.executors) await (await w.stakes.connect(e).optIn(i)).wait();
  }
  const staker = w.others[0];
  await w.stakes.connect(staker).stake(Role.EXECUTOR, 200n * TOKEN);
  await nextEpoch(w);
  const result: Record<string, { optIn: number; stakeFirstInEpoch: number; stakeAgainInEpoch: number }> = {};
  let joined = 0;
  for (const count of [...counts].sort((a, b) => a - b)) {
    let optIn = 0;
    while (joined < count) optIn = await gasOf(w.stakes.connect(staker).optIn(++joined));
    await nextEpoch(w);
    const stakeFirstInEpoch = await gasOf(w.stakes.connect(staker).stake(Role.EXECUTOR, TOKEN));
    const stakeAgainInEpoch = await gasOf(w.stakes.connect(staker).stake(Role.EXECUTOR, TOKEN));
    result[String(count)] = { optIn, stakeFirstInEpoch, stakeAgainInEpoch };
    console.log(`  executor opted in to ${count} model${count === 1 ? "" : "s"}: optIn ${optIn} gas; stake change ${stakeFirstInEpoch} (first in epoch) / ${stakeAgainInEpoch} (again)`);
  }
  return result;
}

/**
 * The VRF adapter (contracts/randomness/VrfRandomnessAdapter.sol) with the test coordinator: a
 * request through the adapter, the same coordinator asked directly (the adapter's share is the
 * difference), and a fulfilment with the adapter's callback alone.
 */
async function vrfAdapter(): Promise<Record<string, number>> {
  const [deployer, consumer, other] = await ethers.getSigners();
  const coordinator = await new TestVrfCoordinator__factory(deployer).deploy();
  const adapter = await new VrfRandomnessAdapter__factory(deployer).deploy(coordinator, 256);
  const deploy = Number((await adapter.deploymentTransaction()!.wait())!.gasUsed);
  await (await adapter.wire([consumer.address])).wait();
  await (await adapter.connect(consumer).request()).wait(); // the first request turns counters from zero
  const receipt = (await (await adapter.connect(consumer).request()).wait())!;
  const requested = receipt.logs.map((l) => adapter.interface.parseLog(l)).find((l) => l?.name === "RandomnessRequested");
  const requestId = requested!.args.requestId as bigint;
  const direct = await gasOf(coordinator.connect(other).requestRandomWord());
  await mine(1);
  const fulfil = await gasOf(coordinator.fulfil(requestId, ethers.id("word")));
  return { deploy, request: Number(receipt.gasUsed), coordinatorAlone: direct, fulfil, callback: Number(await coordinator.lastCallbackGas()) };
}

async function main() {
  const quick = process.argv.includes("--quick") || process.env.GAS_QUICK === "1";
  // An exact model: it may allow every mode, QUORUM included.
  const w = await deployWorld({ executors: 5, verifiers: 5, policy: EXACT });
  const life = await lifecycle(w);
  const sizes = quick ? [10, 100] : [10, 100, 1000, 10000];
  const byExecutors = await requestByExecutors(sizes);
  const byVerifiers = await drawByVerifiers(quick ? [10, 100] : [10, 10000]);
  const byModels = await executorStakeByModels([1, 8]);
  const vrf = await vrfAdapter();
  const sizesByContract = await contractSizes(artifacts);
  const largest = Math.max(...Object.values(sizesByContract));
  const report = {
    ...life,
    requestByExecutors: byExecutors,
    drawByVerifiers: byVerifiers,
    executorStakeByModels: byModels,
    vrfAdapter: vrf,
    contractSizes: sizesByContract,
    targets: {
      contractSizeMax: CONTRACT_SIZE_LIMIT,
      contractSizeMet: largest <= CONTRACT_SIZE_LIMIT,
      optimisticLifecycleMax: 250_000,
      optimisticLifecycleMet: life.optimisticLifecycle <= 250_000,
      requestScalingMax: 1.3,
      requestScaling: byExecutors[String(sizes[sizes.length - 1])] / byExecutors["10"],
      requestScalingMet: byExecutors[String(sizes[sizes.length - 1])] / byExecutors["10"] <= 1.3,
    },
    note:
      `Warm state (executors hold unclaimed credits), Hardhat network, solc 0.8.28, optimizer 200 runs; ` +
      `inline input ${SAMPLE_INPUT.length} bytes, inline output ${SAMPLE_OUTPUT.length} bytes; committee of 3, quorum of 3 ` +
      `(drawByVerifiers: committee of 7). optimisticLifecycle is request + assign + submit + finalize: an unchallenged OPTIMISTIC job needs ` +
      `no other pin (its audit coin is read at finalize; an executor records it only where 256 blocks are shorter than the challenge window); ` +
      `requestByExecutors is request + assign (the draw), every executor opted in to the job's model; ` +
      `executorStakeByModels is an executor's stake change opted in to 1 and to 8 models (pools of 4 executors), and optIn the opt-in that reached that count.`,
  };
  console.table({
    request: life.request,
    "assign (the executor draw)": life.assign,
    submit: life.submit,
    finalize: life.finalize,
    "request+assign+submit+finalize (OPTIMISTIC)": life.optimisticLifecycle,
    "request+assign+submit (NONE)": life.noneLifecycle,
    "deliver (a 64-byte output to a recording callback)": life.deliver,
    "OPTIMISTIC with a callback (5 transactions)": life.optimisticLifecycleWithCallback,
    challenge: life.challenge,
    "committee draw (the pin)": life.drawCommittee,
    "vote commit": life.commit,
    "vote reveal": life.reveal,
    "dispute resolve": life.resolve,
  });
  const out = path.join(__dirname, "..", "reports");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "gas.json"), JSON.stringify(report, null, 2) + "\n");
  console.table({ "VRF adapter (test coordinator)": vrf });
  console.table(sizesByContract);
  console.log(`wrote reports/gas.json; OPTIMISTIC life ${life.optimisticLifecycle} gas (target <= 250000), request scaling x${report.targets.requestScaling.toFixed(3)} (target <= 1.3)`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
