/**
 * `npm start`: the life of one job in every verification mode, and of one dishonest executor
 * caught by a committee, on Hardhat's in-process network, told step by step. (Until the devnet of
 * a later issue exists, this is the project's main job.)
 */
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt } from "ethers";
import { deployWorld, Mode, requestJob, SAMPLE_OUTPUT, WRONG_OUTPUT, signerOf, Verdict, runQuorum, voteAll, type World } from "../test/fixtures/protocol";
import { decodeTensors } from "../verifier/src/codec/tensor";

const fmt = (wei: bigint) => `${ethers.formatEther(wei)} GLASS`;
const short = (a: string) => `${a.slice(0, 6)}…${a.slice(-4)}`;
const say = (line: string) => console.log(line);

function feeStory(w: World, receipt: ContractTransactionReceipt | null): string {
  for (const log of receipt?.logs ?? []) {
    try {
      const parsed = w.vault.interface.parseLog(log);
      if (parsed?.name === "FeePaid") {
        const { executorPart, verifierPart, modelOwnerPart, treasuryPart } = parsed.args;
        return `paid: executor ${fmt(executorPart)}, verifier pool ${fmt(verifierPart)}, model owner ${fmt(modelOwnerPart)}, treasury ${fmt(treasuryPart)}`;
      }
    } catch {
      // not a vault log
    }
  }
  return "no payment";
}

function outputStory(bytes: string): string {
  const tensors = decodeTensors(ethers.getBytes(bytes));
  return Object.entries(tensors)
    .map(([name, t]) => `${name}[${t.shape.join("x")}] = [${Array.from(t.data as Float32Array, (v) => v.toFixed(2)).join(", ")}]`)
    .join("; ");
}

async function main() {
  const started = Date.now();
  const w = await deployWorld({ executors: 3, verifiers: 4 });
  const net = await ethers.provider.getNetwork();
  say(`Glassbox local run on Hardhat's in-process network (chain ${net.chainId})`);
  say(`  JobRegistry ${short(await w.jobs.getAddress())}, StakeManager ${short(await w.stakes.getAddress())}, DisputeManager ${short(await w.disputes.getAddress())}, PaymentVault ${short(await w.vault.getAddress())}`);
  say(`  model #1 registered by ${short(w.modelOwner.address)}; 3 executors and 4 verifiers staked 200 GLASS each`);
  const slashed: string[] = [];
  let jobs = 0;
  let finalized = 0;

  // NONE
  {
    const job = await requestJob(w, { mode: Mode.NONE });
    jobs++;
    const executor = signerOf(w.executors, job.assigned[0]);
    const receipt = await (await w.jobs.connect(executor).submitResult(job.jobId, SAMPLE_OUTPUT)).wait();
    const [, , output] = await w.jobs.resultOf(job.jobId);
    finalized++;
    say(`\n[NONE] job ${job.jobId}: requested by ${short(w.requester.address)} for 1 GLASS, drawn executor ${short(executor.address)}`);
    say(`  the executor's output is trusted and final in the submission's block: ${outputStory(output)}`);
    say(`  ${feeStory(w, receipt)}; gas request ${job.receipt.gasUsed} + submit ${receipt!.gasUsed}`);
  }

  // OPTIMISTIC, unchallenged
  {
    const job = await requestJob(w, { mode: Mode.OPTIMISTIC });
    jobs++;
    const executor = signerOf(w.executors, job.assigned[0]);
    const sub = await (await w.jobs.connect(executor).submitResult(job.jobId, SAMPLE_OUTPUT)).wait();
    const startBlock = job.receipt.blockNumber;
    await time.increase(1801);
    const fin = await (await w.jobs.finalize(job.jobId)).wait();
    finalized++;
    say(`\n[OPTIMISTIC] job ${job.jobId}: executor ${short(executor.address)} posted its output; 30-minute challenge window, nobody challenged`);
    say(`  the audit lottery (seeded by the submission block's hash) did not pick it; finalized ${fin!.blockNumber - startBlock} blocks after the request`);
    say(`  ${feeStory(w, fin)}; gas request ${job.receipt.gasUsed} + submit ${sub!.gasUsed} + finalize ${fin!.gasUsed}`);
  }

  // QUORUM
  {
    const job = await requestJob(w, { mode: Mode.QUORUM });
    jobs++;
    await runQuorum(w, job.jobId, job.assigned, job.assigned.map(() => SAMPLE_OUTPUT));
    const fin = await (await w.jobs.finalize(job.jobId)).wait();
    finalized++;
    say(`\n[QUORUM] job ${job.jobId}: ${job.assigned.map(short).join(", ")} each committed to a hash, then revealed; 3 of 3 agree`);
    say(`  ${feeStory(w, fin)} (the executor part shared by the majority)`);
  }

  // A dishonest executor, challenged and slashed
  {
    const job = await requestJob(w, { mode: Mode.OPTIMISTIC });
    jobs++;
    const cheat = signerOf(w.executors, job.assigned[0]);
    await w.jobs.connect(cheat).submitResult(job.jobId, WRONG_OUTPUT);
    const challenger = w.verifiers[0];
    await w.disputes.connect(challenger).challenge(job.jobId);
    const disputeId = await w.disputes.disputeOfJob(job.jobId);
    const committee = await w.disputes.committeeOf(disputeId);
    say(`\n[DISPUTE] job ${job.jobId}: executor ${short(cheat.address)} posted a wrong output: ${outputStory(ethers.hexlify(WRONG_OUTPUT))}`);
    say(`  verifier ${short(challenger.address)} re-ran the model, disagreed, and challenged with a 10 GLASS bond`);
    say(`  committee drawn by stake (executor and challenger excluded): ${committee.map(short).join(", ")}`);
    await voteAll(w, disputeId, Verdict.Invalid);
    const before = (await w.stakes.accountOf(cheat.address, 0)).active;
    await (await w.disputes.resolve(job.jobId)).wait();
    const after = (await w.stakes.accountOf(cheat.address, 0)).active;
    slashed.push(cheat.address);
    const next = await w.jobs.jobOf(job.jobId);
    say(`  votes committed then revealed: ${committee.length} x Invalid; executor slashed ${fmt(before - after)} (stake ${fmt(before)} -> ${fmt(after)})`);
    say(`  the job was reassigned to ${short(next.executor)}, who posts the right output`);
    await w.jobs.connect(signerOf(w.executors, next.executor)).submitResult(job.jobId, SAMPLE_OUTPUT);
    await time.increase(1801);
    const fin = await (await w.jobs.finalize(job.jobId)).wait();
    finalized++;
    say(`  finalized: ${feeStory(w, fin)}; challenger credited ${fmt(await w.vault.creditOf(challenger.address))} (bond back plus its share of the slash)`);
  }

  const summary = { jobs, finalized, invalid: 0, slashed, seconds: Math.round((Date.now() - started) / 100) / 10 };
  say(`\n${JSON.stringify(summary)}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
