/**
 * a. An executor SIGKILLed while it holds jobs, restarted, then killed again while its
 *    submitResult is pending (automine off, as test/devnet/restart.ts does). Every job ends
 *    finalized (or, had it timed out, refunded by the rules); the executor never sends the same
 *    call twice and none of its transactions reverts.
 */
import { JobRegistry__factory } from "../../../packages/node/src/typechain";
import { sleep } from "../../devnet/chain";
import { devnetWallet } from "../../devnet/setup";
import { DEADLINE_SECONDS, FEE, executorSpec, settleAll, settleWithKeeper, transactionsFrom, waitPendingFrom, withManualMining } from "../devnet";
import { expectThat, withDevnet, type Scenario } from "../scenario";

const EXECUTOR = executorSpec(1);

export const executorKill: Scenario = {
  name: "executor-kill",
  chains: { hardhat: { quick: true }, anvil: { quick: true } },
  description: "executor SIGKILLed holding jobs, restarted, killed again with a tx pending",
  run: ({ log, chain }) =>
    withDevnet({ chain, name: "executor-kill", nodes: [EXECUTOR] }, async (d) => {
      const { provider, client, mlp, group } = d;
      const executor = devnetWallet(EXECUTOR.accountIndex).address;
      const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, provider);
      const ids: bigint[] = [];

      // Kill 1: three jobs requested back to back, the executor killed while it works on them.
      for (let i = 0; i < 3; i++) ids.push((await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId);
      log(`requested jobs ${ids.join(", ")}`);
      await sleep(300);
      group.signal(EXECUTOR.name, "SIGKILL");
      await group.get(EXECUTOR.name)?.exited;
      const statuses = await Promise.all(ids.map(async (id) => Number((await jobs.jobOf(id)).status)));
      log(`killed while holding jobs ${ids.join(", ")} (statuses ${statuses.join(", ")})`);
      // One more job while it is down.
      ids.push((await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId);
      await d.startNode(EXECUTOR);
      log("restarted");

      // Kill 2: its submitResult for a new job sits in the mempool when it dies.
      let pendingJob = 0n;
      await withManualMining(d, async () => {
        const req = client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS);
        await waitPendingFrom(provider, client.address, 30_000);
        await provider.send("evm_mine", []);
        pendingJob = (await req).jobId;
        ids.push(pendingJob);
        log(`job ${pendingJob} requested with automine off; waiting for the executor's submitResult in the mempool`);
        // The request only arms the executor draw: blocks are mined by hand until the executor has
        // assigned the job (its `assign` is mined like any other) and its submitResult is pending.
        const stopAt = Date.now() + 60_000;
        let pending: { hash: string; data: string } | undefined;
        while (!pending) {
          expectThat(Date.now() < stopAt, `no submitResult from the executor for job ${pendingJob} within 60 s`);
          await provider.send("evm_mine", []);
          const seen = await waitPendingFrom(provider, executor, 500).catch(() => undefined);
          if (seen && jobs.interface.parseTransaction({ data: seen.data })?.name === "submitResult") pending = seen;
        }
        const call = jobs.interface.parseTransaction({ data: pending.data });
        log(`pending from the executor: ${call?.name}(${call?.args[0]})`);
        group.signal(EXECUTOR.name, "SIGKILL");
        await group.get(EXECUTOR.name)?.exited;
        await provider.send("evm_mine", []);
      });
      await d.startNode(EXECUTOR);
      log("restarted again");

      // Past every challenge window: the executor finalizes everything.
      // A job the executor abandoned is timed out (by this keeper, as anyone may) and served again.
      d.startClock();
      log(`clock running; waiting for jobs ${ids.join(", ")} to settle`);
      const timedOut = await settleWithKeeper(d, ids, 180_000);
      log("every job settled; checking outputs and the executor's transactions");
      const outcomes = await settleAll(d, ids, 10_000);
      const finalized = [...outcomes.values()].filter((o) => o === "finalized").length;
      expectThat(finalized + [...outcomes.values()].filter((o) => o === "refunded").length === ids.length, "not every job settled");
      for (const id of ids) {
        const verified = outcomes.get(id) === "finalized" ? await client.verify(id, mlp, mlp.model.input()) : { ok: true };
        expectThat(verified.ok, `job ${id} finalized with an output the client rejects: ${verified.why}`);
      }
      await d.stopClock();

      // No duplicate call, no reverted transaction, the nonce matches what was mined.
      const sent = await transactionsFrom(provider, executor);
      const calls = new Map<string, number>();
      for (const tx of sent) {
        if (tx.to?.toLowerCase() !== d.deployment.contracts.jobRegistry.toLowerCase()) continue;
        const parsed = jobs.interface.parseTransaction({ data: tx.data });
        const key = `${parsed?.name}(${parsed?.args[0]})`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
      }
      const dupes = [...calls.entries()].filter(([k, n]) => n > (timedOut.some((id) => k === `submitResult(${id})`) ? 2 : 1)).map(([k, n]) => `${k} x${n}`);
      expectThat(dupes.length === 0, `duplicate transactions: ${dupes.join(", ")}`);
      for (const tx of sent) expectThat((await provider.getTransactionReceipt(tx.hash))?.status === 1, `executor transaction ${tx.hash} reverted`);
      expectThat((await provider.getTransactionCount(executor)) === sent.length, "the executor's nonce does not match its mined transactions");
      const submits = [...calls.keys()].filter((k) => k.startsWith("submitResult")).length;
      // The node releases claims a crash left unsettled, so a restarted executor abandons nothing.
      expectThat(timedOut.length === 0, `jobs ${timedOut.join(", ")} were abandoned by the executor after a SIGKILL and had to be timed out (executor slashed)`);
      return `${ids.length} jobs across 2 SIGKILLs (one with submitResult(${pendingJob}) pending): ${finalized} finalized, ${submits} submits, ${sent.length} executor txs, no duplicate, none reverted, none abandoned`;
    }),
};
