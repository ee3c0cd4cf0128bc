/**
 * The accounting check every chaos scenario ends with, read from the chain alone:
 *
 *   1. fees: sum of fees requested == paid (FeePaid parts) + refunded (JobRefunded) + escrow of
 *      live jobs; no job paid or refunded twice, none both;
 *   2. stakes: StakeManager's token balance == totalStaked() == sum over the staked nodes of
 *      active + unbonding in both roles;
 *   3. vault: PaymentVault's token balance == escrow of live jobs + bonds of unresolved disputes +
 *      every outstanding credit + every model's audit pot + treasury share (and so >= the credits it owes);
 *   4. jobs: every job is Finalized, Refunded, Disputed, or live with its deadline or phase end ahead.
 */
import { formatEther, type Provider } from "ethers";
import { DisputeManager__factory, GlassboxToken__factory, JobRegistry__factory, ModelRegistry__factory, PaymentVault__factory, StakeManager__factory } from "../../packages/node/src/typechain";
import { nameOf, Status, type Deployment } from "../../packages/node/src";
import { devnetWallet, type NodeSpec } from "../devnet/setup";

/** Hardhat node funds accounts 0..19 of its mnemonic: every account a devnet can use. */
const ACCOUNTS = 20;

export interface Accounting {
  ok: boolean;
  problems: string[];
  /** One line: jobs by status and the totals compared. */
  summary: string;
  jobs: number;
}

export async function checkAccounting(provider: Provider, deployment: Deployment, staked: NodeSpec[]): Promise<Accounting> {
  const c = deployment.contracts;
  const jobs = JobRegistry__factory.connect(c.jobRegistry, provider);
  const vault = PaymentVault__factory.connect(c.paymentVault, provider);
  const stakes = StakeManager__factory.connect(c.stakeManager, provider);
  const disputes = DisputeManager__factory.connect(c.disputeManager, provider);
  const token = GlassboxToken__factory.connect(c.token, provider);
  const problems: string[] = [];
  const from = deployment.deploymentBlock;

  // 1. fees, per job and in total
  const [requested, paidLogs, refundLogs, creditLogs, openedLogs] = await Promise.all([
    jobs.queryFilter(jobs.filters.JobRequested(), from),
    vault.queryFilter(vault.filters.FeePaid(), from),
    jobs.queryFilter(jobs.filters.JobRefunded(), from),
    vault.queryFilter(vault.filters.Credited(), from),
    disputes.queryFilter(disputes.filters.DisputeOpened(), from),
  ]);
  const count = Number(await jobs.jobCount());
  if (requested.length !== count) problems.push(`${requested.length} JobRequested events for jobCount ${count}`);
  let feesRequested = 0n;
  for (const r of requested) feesRequested += r.args.params.fee;
  const paidPerJob = new Map<bigint, number>();
  let paid = 0n;
  for (const p of paidLogs) {
    paid += p.args.executorPart + p.args.verifierPart + p.args.modelOwnerPart + p.args.treasuryPart;
    paidPerJob.set(p.args.jobId, (paidPerJob.get(p.args.jobId) ?? 0) + 1);
  }
  const refundedPerJob = new Map<bigint, number>();
  let refunded = 0n;
  for (const r of refundLogs) {
    refunded += r.args.amount;
    refundedPerJob.set(r.args.jobId, (refundedPerJob.get(r.args.jobId) ?? 0) + 1);
  }
  const head = await provider.getBlock("latest");
  const now = BigInt(head?.timestamp ?? 0);
  let escrow = 0n;
  const byStatus = new Map<string, number>();
  for (let id = 1n; id <= BigInt(count); id++) {
    const job = await jobs.jobOf(id);
    const status = Number(job.status);
    const name = nameOf(Status, status) ?? String(status);
    byStatus.set(name, (byStatus.get(name) ?? 0) + 1);
    const p = paidPerJob.get(id) ?? 0;
    const r = refundedPerJob.get(id) ?? 0;
    if (p > 1) problems.push(`job ${id} paid ${p} times`);
    if (r > 1) problems.push(`job ${id} refunded ${r} times`);
    if (p > 0 && r > 0) problems.push(`job ${id} both paid and refunded`);
    if (status === Status.Finalized && p !== 1) problems.push(`job ${id} Finalized with ${p} FeePaid events`);
    if (status === Status.Refunded && r !== 1) problems.push(`job ${id} Refunded with ${r} JobRefunded events`);
    if (status !== Status.Finalized && status !== Status.Refunded) {
      escrow += job.fee;
      if (p + r > 0) problems.push(`job ${id} is live (${name}) but was already settled`);
      // 4. a live job must still have time left: its deadline, or the phase it is in (an execution
      // phase is never cut by the deadline, and a challenge window may end after it); a disputed
      // job lives by its dispute's windows.
      const ends = BigInt(job.deadline) > BigInt(job.phaseEnd) ? BigInt(job.deadline) : BigInt(job.phaseEnd);
      if (name !== "Disputed" && ends <= now) problems.push(`job ${id} is ${name} with its deadline ${job.deadline} and phase end ${job.phaseEnd} passed (chain time ${now})`);
    }
  }
  if (feesRequested !== paid + refunded + escrow) {
    problems.push(`fees requested ${formatEther(feesRequested)} != paid ${formatEther(paid)} + refunded ${formatEther(refunded)} + escrowed ${formatEther(escrow)}`);
  }

  // 2. stakes
  const stakeBalance = await token.balanceOf(c.stakeManager);
  const total = await stakes.totalStaked();
  let nodesStake = 0n;
  for (const n of staked) {
    const address = devnetWallet(n.accountIndex).address;
    for (const role of [0, 1]) {
      const a = await stakes.accountOf(address, role);
      nodesStake += a.active + a.unbonding;
      if (a.locked > a.active) problems.push(`${n.name} has ${formatEther(a.locked)} locked of ${formatEther(a.active)} active`);
    }
  }
  if (stakeBalance !== total || total !== nodesStake) {
    problems.push(`StakeManager holds ${formatEther(stakeBalance)}, totalStaked ${formatEther(total)}, the staked nodes ${formatEther(nodesStake)}`);
  }

  // 3. the vault
  let bonds = 0n;
  for (const o of openedLogs) {
    const d = await disputes.disputeOf(o.args.disputeId);
    if (!d.resolved) bonds += d.bond;
  }
  const accounts = new Set<string>();
  for (let i = 0; i < ACCOUNTS; i++) accounts.add(devnetWallet(i).address.toLowerCase());
  for (const l of creditLogs) accounts.add(l.args.account.toLowerCase());
  let credits = 0n;
  for (const a of accounts) credits += await vault.creditOf(a);
  const models = ModelRegistry__factory.connect(c.modelRegistry, provider);
  let auditPots = 0n;
  for (let m = 1n; m <= (await models.modelCount()); m++) auditPots += await vault.auditPotOf(m);
  const treasuryAccrued = await vault.treasuryAccrued();
  const vaultBalance = await token.balanceOf(c.paymentVault);
  const owed = escrow + bonds + credits + auditPots + treasuryAccrued;
  if (vaultBalance !== owed) {
    problems.push(
      `PaymentVault holds ${formatEther(vaultBalance)} but owes ${formatEther(owed)} (escrow ${formatEther(escrow)}, bonds ${formatEther(bonds)}, credits ${formatEther(credits)}, audit pots ${formatEther(auditPots)}, treasury ${formatEther(treasuryAccrued)})`,
    );
  }
  if (vaultBalance < credits) problems.push(`PaymentVault holds ${formatEther(vaultBalance)}, less than the ${formatEther(credits)} of credits it owes`);

  const statuses = [...byStatus.entries()].map(([k, v]) => `${v} ${k}`).join(", ") || "no jobs";
  const summary = `${count} jobs (${statuses}); fees ${formatEther(feesRequested)} = paid ${formatEther(paid)} + refunded ${formatEther(refunded)} + escrow ${formatEther(escrow)}; stake ${formatEther(stakeBalance)}; vault ${formatEther(vaultBalance)}`;
  return { ok: problems.length === 0, problems, summary, jobs: count };
}
