/**
 * d. A reorganisation of several blocks under a live node. With automine on and the clock off:
 *    job P is requested and served on the common chain; `evm_snapshot`; on branch A two jobs are
 *    requested from client 1 and the executor submits their results; `evm_revert` drops branch A
 *    and branch B is mined: client 2 requests three jobs, with another input, that take the same
 *    job ids as branch A's, plus empty blocks so that B is longer than A. The node must log the
 *    reorganisation and end consistent: every job of the surviving chain settles, each output is
 *    the model's output on the input of *this* chain's job (not a result remembered from branch
 *    A), nothing is paid twice, and the accounting holds.
 */
import fs from "node:fs";
import path from "node:path";
import { JobRegistry__factory } from "../../../packages/node/src/typechain";
import { encodeTensors, Status } from "../../../packages/node/src/sdk";
import { sleep } from "../../devnet/chain";
import { DemoClient } from "../../devnet/client";
import { CLIENT_INDEXES, devnetWallet } from "../../devnet/setup";
import { DEADLINE_SECONDS, FEE, executorSpec, logLines, settleAll, transactionsFrom } from "../devnet";
import { ScenarioFailure, expectThat, withDevnet, type Scenario } from "../scenario";

const EXECUTOR = executorSpec(1);
const BRANCH_B_INPUT = encodeTensors({ x: { dtype: "float32", shape: [2, 4], data: [9, 8, 7, 6, -5, -4, -3, -2] } });

export const reorg: Scenario = {
  name: "reorg",
  chains: { hardhat: { quick: false } },
  description: "a multi-block reorganisation (evm_snapshot/evm_revert) under a live executor",
  run: ({ log, chain }) =>
    withDevnet({ chain, name: "reorg", nodes: [EXECUTOR], auditRateBps: 0 }, async (d) => {
      const { provider, client, mlp } = d;
      const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, provider);
      const executor = devnetWallet(EXECUTOR.accountIndex).address;
      const waitStatus = async (id: bigint, status: number, ms: number) => {
        const until = Date.now() + ms;
        while (Number((await jobs.jobOf(id)).status) < status) {
          expectThat(Date.now() < until, `job ${id} did not reach status ${status} within ${ms} ms`);
          await sleep(200);
        }
      };
      const client2 = new DemoClient(devnetWallet(CLIENT_INDEXES[1], provider), d.deployment);
      try {
        await client2.approve();
        const common = (await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId;
        await waitStatus(common, Status.Submitted, 60_000);
        await sleep(1_000); // the node's cursor moves past the submission

        const forkHead = await provider.getBlockNumber();
        const snapshot = (await provider.send("evm_snapshot", [])) as string;
        const branchA: bigint[] = [];
        for (let i = 0; i < 2; i++) branchA.push((await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId);
        for (const id of branchA) await waitStatus(id, Status.Submitted, 60_000);
        for (let i = 0; i < 3; i++) await provider.send("evm_mine", []);
        await sleep(1_500); // the node handles branch A's blocks
        const headA = await provider.getBlockNumber();
        const nonceA = await provider.getTransactionCount(executor);
        expectThat((await provider.send("evm_revert", [snapshot])) === true, "evm_revert failed");
        log(`branch A (blocks ${forkHead + 1}..${headA}, jobs ${branchA.join(", ")}, submitted) dropped; back at block ${await provider.getBlockNumber()}`);

        const branchB: bigint[] = [];
        for (const mode of ["OPTIMISTIC", "NONE", "OPTIMISTIC"] as const) branchB.push((await client2.request(mlp, mode, BRANCH_B_INPUT, FEE, DEADLINE_SECONDS)).jobId);
        while ((await provider.getBlockNumber()) <= headA + 2) await provider.send("evm_mine", []);
        log(`branch B: jobs ${branchB.join(", ")} from client 2 with another input; head ${await provider.getBlockNumber()} > ${headA}`);
        expectThat(branchB[0] === branchA[0], `branch B's first job is ${branchB[0]}, not branch A's id ${branchA[0]}`);

        d.startClock();
        let outcomes: Map<bigint, "finalized" | "refunded">;
        try {
          outcomes = await settleAll(d, [common, ...branchB], 90_000);
        } catch (err) {
          // Name the node's own errors: they say why the jobs are stuck.
          const errors = logLines(d, EXECUTOR.name, /"level":50/).map((l) => /"key":"([^"]+)".*"err":"([^"]+)"/.exec(l)?.slice(1, 3).join(": ") ?? l.slice(0, 160));
          const chain = fs.readFileSync(path.join(d.dir, "chain.log"), "utf8").match(/Nonce too (high|low)[^\n]*/g) ?? [];
          throw new ScenarioFailure(`${(err as Error).message.split(";")[0]}; ${EXECUTOR.name} errors after the reorg: ${errors.join(", ") || "none"}${chain.length > 0 ? `; the chain answered its transactions "${chain[0]}" (${chain.length}x)` : ""}`);
        }
        await d.stopClock();
        const reorgLines = logLines(d, EXECUTOR.name, /chain reorganised/);
        expectThat(reorgLines.length > 0, `${EXECUTOR.name} never logged the reorganisation`);
        const bad = [...outcomes.entries()].filter(([, o]) => o !== "finalized").map(([id, o]) => `${id} ${o}`);
        expectThat(bad.length === 0, `jobs not finalized: ${bad.join(", ")}`);
        const c = await client.verify(common, mlp, mlp.model.input());
        expectThat(c.ok, `job ${common}'s output is wrong: ${c.why}`);
        for (const id of branchB) {
          const v = await client2.verify(id, mlp, BRANCH_B_INPUT);
          expectThat(v.ok, `job ${id}'s output does not match branch B's input (a result remembered from branch A?): ${v.why}`);
        }
        for (const id of [common, ...branchB]) expectThat(Number((await jobs.jobOf(id)).status) === Status.Finalized, `job ${id} not Finalized`);
        const sent = await transactionsFrom(provider, executor);
        for (const tx of sent) expectThat((await provider.getTransactionReceipt(tx.hash))?.status === 1, `executor transaction ${tx.hash} reverted`);
        const fork = /"forkBlock":(\d+)/.exec(reorgLines[0])?.[1];
        return `${headA - forkHead}-block branch A (jobs ${branchA.join(", ")}, ${nonceA} executor txs) replaced by branch B (jobs ${branchB.join(", ")}); the executor logged "chain reorganised" (fork block ${fork}, ${reorgLines.length}x); all ${branchB.length + 1} jobs of the surviving chain finalized with the right outputs`;
      } finally {
        await client2.close();
      }
    }),
};
