/**
 * f, g. Real reorganisations on anvil (`anvil_reorg(depth, [[rawTx, blockOffset]])`): the last
 *    `depth` blocks are replaced by as many new ones holding other transactions, and every
 *    transaction of the removed blocks is gone for good (anvil does not return them to its pool).
 *    Interval mining is paused while the depth is measured and the reorganisation made, so that
 *    the blocks removed are exactly the ones meant; anvil then mines on its own again.
 *
 *    reorg-submit: an executor's submitResult is mined, then a reorganisation removes the block
 *      holding it and the blocks after it (not the assignment), with a request by another client in
 *      the new blocks. The executor must notice that its transaction is gone (its cursor's hash may
 *      still match: the removal is of its own transaction, not only of events it handled), submit
 *      again, and every job of the surviving chain must finalize with the right output, with no
 *      timeout (a missed submission costs the executor `timeoutSlash`).
 *
 *    reorg-vote: a dishonest executor's wrong output is challenged; once the committee's first vote
 *      commitment is mined, a reorganisation removes it (and the blocks after it) with a transfer in
 *      the new blocks. Every member must commit again and reveal: the dispute ends Invalid, the
 *      cheat is slashed, and no member loses `voterSlash` for a vote the reorganisation took.
 */
import { formatEther, parseEther, type JsonRpcProvider, type Log, type TransactionRequest, type Wallet, type HDNodeWallet } from "ethers";
import { DisputeManager__factory, JobRegistry__factory, StakeManager__factory } from "../../../packages/node/src/typechain";
import { encodeTensors, Status, Verdict } from "../../../packages/node/src/sdk";
import { sleep } from "../../devnet/chain";
import { DemoClient } from "../../devnet/client";
import { CLIENT_INDEXES, devnetWallet, type NodeSpec } from "../../devnet/setup";
import { DEADLINE_SECONDS, FEE, executorSpec, logLines, settleAll, settleWithKeeper, verifierSpec, withManualMining, type Devnet } from "../devnet";
import { expectThat, withDevnet, type Scenario } from "../scenario";

/** Blocks mined after the removed transaction before the reorganisation: it is several blocks deep. */
const BURY = 3;
const OTHER_INPUT = encodeTensors({ x: { dtype: "float32", shape: [2, 4], data: [9, 8, 7, 6, -5, -4, -3, -2] } });

/** Polls `probe` every 250 ms until it gives a value; a ScenarioFailure naming `what` after `ms`. */
async function waitFor<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    expectThat(Date.now() < until, `${what} did not happen within ${ms / 1000} s`);
    await sleep(250);
  }
}

/**
 * Waits until node `name` has logged action `key` as sent: it holds the receipt, so the action is
 * settled in its store. A reorganisation after that can only be found by the node's own check (a
 * transaction removed before the node read its receipt is the sender's to replace, a path the
 * scenarios do not aim at).
 */
function waitSettled(d: Devnet, name: string, key: string, ms: number): Promise<true> {
  const pattern = new RegExp(`"key":"${key}".*"msg":"sent"`);
  return waitFor(`${name}'s receipt of ${key}`, ms, async () => (logLines(d, name, pattern).length > 0 ? true : undefined));
}

/** Signs `tx` from `wallet` at its next mined nonce with fixed gas, for a reorganisation's new blocks. */
async function signedReplacement(wallet: HDNodeWallet | Wallet, provider: JsonRpcProvider, tx: TransactionRequest): Promise<string> {
  const fee = await provider.getFeeData();
  const nonce = await provider.getTransactionCount(wallet.address, "latest");
  const { chainId } = await provider.getNetwork();
  return wallet.signTransaction({ ...tx, from: wallet.address, nonce, chainId, gasLimit: tx.gasLimit ?? 3_000_000n, maxFeePerGas: (fee.maxFeePerGas ?? 0n) * 2n, maxPriorityFeePerGas: fee.maxPriorityFeePerGas ?? 0n, type: 2 });
}

interface Reorganised {
  depth: number;
  fromBlock: number;
  head: number;
}

/**
 * With mining paused: buries `block` under BURY blocks, then replaces it and every block above it
 * with as many new ones, `replacements` (signed raw transactions) in the first. Checks that the
 * chain's block at `block` is a new one and that `removed` (a transaction hash) has no receipt.
 */
async function reorganiseFrom(d: Devnet, block: number, replacements: string[], removed: string): Promise<Reorganised> {
  const { provider } = d;
  return withManualMining(d, async () => {
    while ((await provider.getBlockNumber()) < block + BURY) await provider.send("evm_mine", []);
    const head = await provider.getBlockNumber();
    const before = (await provider.getBlock(block))?.hash;
    const depth = head - block + 1;
    await provider.send("anvil_reorg", [depth, replacements.map((tx) => [tx, 0])]);
    const after = await provider.getBlock(block);
    expectThat(after !== null && after.hash !== before, `anvil_reorg(${depth}) left block ${block} as it was`);
    expectThat((await provider.getTransactionReceipt(removed)) === null, `transaction ${removed} is still mined after anvil_reorg(${depth})`);
    return { depth, fromBlock: block, head: await provider.getBlockNumber() };
  });
}

/** The node's "chain reorganised" log lines, as `fork <block>` (a ScenarioFailure if it has none). */
function reorgsLogged(d: Devnet, name: string): string[] {
  const lines = logLines(d, name, /chain reorganised/);
  expectThat(lines.length > 0, `${name} never logged "chain reorganised"`);
  return lines.map((l) => `fork ${/"forkBlock":(\d+)/.exec(l)?.[1] ?? "?"}`);
}

const SUBMIT_EXECUTOR = executorSpec(1);

export const reorgSubmit: Scenario = {
  name: "reorg-submit",
  chains: { anvil: { quick: true } },
  description: "anvil_reorg removes an executor's mined submitResult (its assignment stays); it submits again",
  run: ({ log, chain }) =>
    withDevnet({ chain, name: "reorg-submit", nodes: [SUBMIT_EXECUTOR], auditRateBps: 0 }, async (d) => {
      const { provider, client, mlp } = d;
      const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, provider);
      const client2Wallet = devnetWallet(CLIENT_INDEXES[1], provider);
      const client2 = new DemoClient(client2Wallet, d.deployment);
      try {
        await client2.approve();
        const { jobId } = await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS);
        log(`job ${jobId} requested; waiting for its submitResult`);
        const submitted = await waitFor(`job ${jobId}'s submitResult`, 90_000, async () => (await jobs.queryFilter(jobs.filters.ResultSubmitted(jobId)))[0] as Log | undefined);
        const assigned = (await jobs.queryFilter(jobs.filters.JobAssigned(jobId)))[0];
        expectThat(assigned !== undefined && assigned.blockNumber < submitted.blockNumber, `job ${jobId} was assigned in block ${assigned?.blockNumber}, not before its submission in ${submitted.blockNumber}`);
        await waitSettled(d, SUBMIT_EXECUTOR.name, `submit:${jobId}:1`, 30_000);

        const request = await jobs.requestInference.populateTransaction(await client2.requestParams(mlp, "OPTIMISTIC", OTHER_INPUT, FEE, DEADLINE_SECONDS));
        const replacement = await signedReplacement(client2Wallet, provider, request);
        const r = await reorganiseFrom(d, submitted.blockNumber, [replacement], submitted.transactionHash);
        const status = Number((await jobs.jobOf(jobId)).status);
        expectThat(status === Status.Assigned, `job ${jobId} has status ${status} after the reorganisation, not Assigned`);
        log(`anvil_reorg(${r.depth}) replaced blocks ${r.fromBlock}..${r.head}: submitResult ${submitted.transactionHash.slice(0, 10)} (block ${submitted.blockNumber}) is gone, the assignment (block ${assigned.blockNumber}) stays; client 2's request is in the new blocks`);
        const other = await waitFor("client 2's job in the new blocks", 10_000, async () => {
          const logs = await jobs.queryFilter(jobs.filters.JobRequested(), r.fromBlock);
          const mine = logs.find((l) => `0x${String(l.topics[2]).slice(26)}`.toLowerCase() === client2.address.toLowerCase());
          return mine ? BigInt(mine.topics[1]) : undefined;
        });

        // The executor must submit job's result again: nothing else serves it before its window ends.
        const resubmitted = await waitFor(`a second submitResult for job ${jobId}`, d.wallMs(60) + 30_000, async () => {
          const again = (await jobs.queryFilter(jobs.filters.ResultSubmitted(jobId)))[0];
          return again && Number((await jobs.jobOf(jobId)).status) >= Status.Submitted ? again : undefined;
        });
        log(`job ${jobId} submitted again in block ${resubmitted.blockNumber} (tx ${resubmitted.transactionHash.slice(0, 10)}); job ${other} from the new blocks`);
        const timedOut = await settleWithKeeper(d, [jobId, other], d.wallMs(3 * 60) + 60_000);
        expectThat(timedOut.length === 0, `jobs ${timedOut.join(", ")} had to be timed out: the executor did not serve them after the reorganisation`);
        const outcomes = await settleAll(d, [jobId, other], 10_000);
        for (const id of [jobId, other]) expectThat(outcomes.get(id) === "finalized", `job ${id} ended ${outcomes.get(id)}, not finalized`);
        const v1 = await client.verify(jobId, mlp, mlp.model.input());
        expectThat(v1.ok, `job ${jobId}'s output is wrong: ${v1.why}`);
        const v2 = await client2.verify(other, mlp, OTHER_INPUT);
        expectThat(v2.ok, `job ${other}'s output does not match its input: ${v2.why}`);
        const forks = reorgsLogged(d, SUBMIT_EXECUTOR.name);
        return `anvil_reorg(${r.depth}) removed job ${jobId}'s mined submitResult (assignment kept, ${BURY} blocks buried); ${SUBMIT_EXECUTOR.name} logged "chain reorganised" (${forks.join(", ")}), submitted again in block ${resubmitted.blockNumber}; jobs ${jobId} and ${other} (requested in the new blocks) finalized with the right outputs, none timed out`;
      } finally {
        await client2.close();
      }
    }),
};

/** The cheat: every job goes to it (the only executor), and it adds 1.0 to every output. */
const CHEAT: NodeSpec = { name: "dishonest-executor", role: "executor", accountIndex: 9, stake: parseEther("1000"), dishonest: true };
const VOTERS = [verifierSpec(1), verifierSpec(2), verifierSpec(3)];

export const reorgVote: Scenario = {
  name: "reorg-vote",
  chains: { anvil: { quick: true } },
  description: "anvil_reorg removes a committee member's mined vote commitment; the members vote again",
  run: ({ log, chain }) =>
    withDevnet({ chain, name: "reorg-vote", nodes: [CHEAT, ...VOTERS], auditRateBps: 0 }, async (d) => {
      const { provider, client, mlp } = d;
      const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, provider);
      const disputes = DisputeManager__factory.connect(d.deployment.contracts.disputeManager, provider);
      const stakes = StakeManager__factory.connect(d.deployment.contracts.stakeManager, provider);
      const voters = VOTERS.map((v) => devnetWallet(v.accountIndex).address.toLowerCase());
      const cheat = devnetWallet(CHEAT.accountIndex).address;
      const cheatStake = (await stakes.accountOf(cheat, 0)).active;

      const { jobId } = await client.request(mlp, "OPTIMISTIC", mlp.model.input(), FEE, DEADLINE_SECONDS);
      log(`job ${jobId} requested; the cheat serves it, a verifier challenges, a committee is drawn`);
      const opened = await waitFor(`a dispute on job ${jobId}`, d.wallMs(60) + 60_000, async () => (await disputes.queryFilter(disputes.filters.DisputeOpened(undefined, jobId)))[0]);
      const disputeId = BigInt(opened.topics[1]);
      const drawn = await waitFor(`dispute ${disputeId}'s committee`, 60_000, async () => (await disputes.queryFilter(disputes.filters.CommitteeDrawn(disputeId)))[0]);
      const first = await waitFor(`a vote commitment on dispute ${disputeId}`, 60_000, async () => {
        const commits = await disputes.queryFilter(disputes.filters.VoteCommitted(disputeId));
        return commits.sort((a, b) => a.blockNumber - b.blockNumber)[0];
      });
      expectThat(drawn.blockNumber < first.blockNumber, `the committee (block ${drawn.blockNumber}) was not drawn before the first commitment (block ${first.blockNumber})`);
      await sleep(1_000); // commitments in the next block or two join the first
      const committedBefore = await disputes.queryFilter(disputes.filters.VoteCommitted(disputeId), first.blockNumber);
      const removedVoters = [...new Set(committedBefore.map((c) => `0x${String(c.topics[2]).slice(26)}`.toLowerCase()))];
      for (const voter of removedVoters) await waitSettled(d, VOTERS[voters.indexOf(voter)].name, `vote:${disputeId}`, 30_000);

      const transfer = await signedReplacement(devnetWallet(CLIENT_INDEXES[1], provider), provider, { to: client.address, value: parseEther("0.01"), gasLimit: 21_000n });
      const r = await reorganiseFrom(d, first.blockNumber, [transfer], first.transactionHash);
      const left = await disputes.queryFilter(disputes.filters.VoteCommitted(disputeId));
      log(`anvil_reorg(${r.depth}) replaced blocks ${r.fromBlock}..${r.head}: ${committedBefore.length} commitment(s) gone (tx ${first.transactionHash.slice(0, 10)} first), ${left.length} left; the committee (block ${drawn.blockNumber}) stays`);

      const outcome = await waitFor(`dispute ${disputeId}'s resolution`, d.wallMs(4 * 60) + 90_000, async () => {
        const resolved = await disputes.queryFilter(disputes.filters.DisputeResolved(disputeId));
        return resolved[0];
      });
      const verdict = disputes.interface.parseLog(outcome)?.args.verdict as bigint;
      expectThat(Number(verdict) === Verdict.Invalid, `dispute ${disputeId} ended with verdict ${verdict}, not Invalid (2)`);
      const recommitted = await disputes.queryFilter(disputes.filters.VoteCommitted(disputeId), r.fromBlock);
      const recommitters = new Set(recommitted.map((c) => `0x${String(c.topics[2]).slice(26)}`.toLowerCase()));
      const missing = removedVoters.filter((v) => !recommitters.has(v));
      expectThat(missing.length === 0, `members ${missing.join(", ")} whose commitments the reorganisation removed never committed again`);
      // No member lost voterSlash: a vote the reorganisation took was cast again.
      const slashedVoters = (await stakes.queryFilter(stakes.filters.NodeSlashed())).filter((l) => voters.includes(`0x${String(l.topics[1]).slice(26)}`.toLowerCase()));
      expectThat(slashedVoters.length === 0, `${slashedVoters.length} committee member(s) were slashed after the reorganisation`);
      const cheatAfter = (await stakes.accountOf(cheat, 0)).active;
      expectThat(cheatAfter < cheatStake, `the cheat's stake did not fall (${formatEther(cheatStake)} -> ${formatEther(cheatAfter)} GLASS)`);
      // The job ends by the rules: reassigned (no other executor: unassigned, then cancelled by the client) or refunded.
      await settleWithKeeper(d, [jobId], d.wallMs(3 * 60) + 60_000);
      const forks = removedVoters.map((v) => VOTERS[voters.indexOf(v)].name);
      for (const name of forks) reorgsLogged(d, name);
      return `anvil_reorg(${r.depth}) removed ${committedBefore.length} vote commitment(s) on dispute ${disputeId} (first in block ${first.blockNumber}); ${forks.join(", ")} (whose commitments were settled in their stores) logged "chain reorganised" and committed again, the dispute ended Invalid, the cheat lost ${formatEther(cheatStake - cheatAfter)} GLASS, no member slashed`;
    }),
};
