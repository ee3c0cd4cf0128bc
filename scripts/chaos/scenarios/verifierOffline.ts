/**
 * b. A verifier goes offline while it holds a committee seat. OPTIMISTIC jobs are requested one by
 *    one until the audit coin picks one (audit rate 20%, the registry's cap: P(none in 30) =
 *    0.12%); the verifier nodes draw the audit's committee once its randomness is known, blocks
 *    are mined by hand (automine off) and the first member of the drawn committee is SIGKILLed
 *    before another block is mined, so it can neither commit nor reveal. The dispute must still
 *    resolve, the job settle, and the absent member lose `voterSlash` for each seat it held while
 *    the members who revealed with the majority lose nothing.
 */
import { parseEther } from "ethers";
import { DisputeManager__factory, JobRegistry__factory, StakeManager__factory } from "../../../packages/node/src/typechain";
import { nameOf, Status, Verdict } from "../../../packages/node/src/sdk";
import { sleep } from "../../devnet/chain";
import { devnetWallet } from "../../devnet/setup";
import { DEADLINE_SECONDS, executorSpec, settleAll, verifierSpec, withManualMining } from "../devnet";
import { expectThat, withDevnet, type Scenario } from "../scenario";

const MAX_JOBS = 30;
const AUDIT_RATE_BPS = 2_000;
/**
 * At 20% with a committee of 7 and a 0.1-GLASS audit reward, a fee must be at least 1.4 GLASS to
 * fund its expected audit (FeeBelowAuditCost otherwise): 2 GLASS here.
 */
const JOB_FEE = parseEther("2");
/** Every job locks 22x its 2-GLASS fee until it settles (the clock stands still here): room for MAX_JOBS. */
const EXECUTOR_STAKE = parseEther("1500");


export const verifierOffline: Scenario = {
  name: "verifier-offline",
  chains: { hardhat: { quick: true } },
  description: "a committee member goes offline during its seat; the dispute resolves, it is slashed",
  run: ({ log, chain }) =>
    withDevnet({ chain, name: "verifier-offline", nodes: [{ ...executorSpec(1), stake: EXECUTOR_STAKE }, verifierSpec(1), verifierSpec(2), verifierSpec(3), verifierSpec(4)], auditRateBps: AUDIT_RATE_BPS }, async (d) => {
      const { provider, client, mlp } = d;
      const c = d.deployment.contracts;
      const jobs = JobRegistry__factory.connect(c.jobRegistry, provider);
      const disputes = DisputeManager__factory.connect(c.disputeManager, provider);
      const stakes = StakeManager__factory.connect(c.stakeManager, provider);
      let jobId = 0n;
      for (let attempt = 1; jobId === 0n; attempt++) {
        expectThat(attempt <= MAX_JOBS, `the audit lottery picked none of ${MAX_JOBS} jobs at 20%`);
        const requested = await client.request(mlp, "OPTIMISTIC", mlp.model.input(), JOB_FEE, DEADLINE_SECONDS);
        const until = Date.now() + 60_000;
        while (Number((await jobs.jobOf(requested.jobId)).status) !== Status.Submitted) {
          expectThat(Date.now() < until, `job ${requested.jobId} was not submitted within 60 s`);
          await sleep(200);
        }
        // The audit coin is the randomness of a block a few blocks after the submission: mine up to
        // it (no time passes) and ask the chain's own view.
        const target = Number((await jobs.jobOf(requested.jobId)).auditTarget);
        while ((await provider.getBlockNumber()) <= target) await provider.send("evm_mine", []);
        const [known, picked] = await jobs.auditSelected(requested.jobId);
        expectThat(known, `the audit coin of job ${requested.jobId} cannot be read`);
        if (picked) jobId = requested.jobId;
        if (jobId === 0n) log(`job ${requested.jobId} not picked for audit (attempt ${attempt})`);
      }

      // Mine by hand until the block that opens the audit; then take one member offline at once.
      let disputeId = 0n;
      let committee: string[] = [];
      let absent = "";
      await withManualMining(d, async () => {
        const stopAt = Date.now() + 90_000;
        while (disputeId === 0n) {
          expectThat(Date.now() < stopAt, `no dispute opened for job ${jobId} within 90 s`);
          await provider.send("evm_increaseTime", [10]);
          await provider.send("evm_mine", []);
          const block = await provider.getBlockNumber();
          // The committee is drawn (by the verifier nodes) once the dispute's randomness is known.
          const drawn = await disputes.queryFilter(disputes.filters.CommitteeDrawn(undefined, jobId), block, block);
          if (drawn.length > 0) {
            disputeId = drawn[0].args.disputeId;
            committee = [...drawn[0].args.members];
            absent = committee[0];
            const spec = d.staked.find((n) => devnetWallet(n.accountIndex).address === absent);
            expectThat(spec !== undefined, `committee member ${absent} is not one of the devnet's verifiers`);
            d.group.signal(spec.name, "SIGKILL");
            await d.group.get(spec.name)?.exited;
            log(`dispute ${disputeId} drawn in block ${block}; committee ${committee.join(", ")}; ${spec.name} (${absent}) killed`);
          } else await sleep(300);
        }
      });
      expectThat(committee.length >= 2, `committee of ${committee.length}: too small for the scenario`);

      // The rest of the committee votes; chain time runs again.
      d.startClock();
      const stopAt = Date.now() + 120_000;
      while (!(await disputes.disputeOf(disputeId)).resolved) {
        expectThat(Date.now() < stopAt, `dispute ${disputeId} not resolved within 120 s`);
        await sleep(250);
      }
      const [resolved] = await disputes.queryFilter(disputes.filters.DisputeResolved(disputeId));
      const verdict = nameOf(Verdict, resolved.args.verdict);
      const receipt = await provider.getTransactionReceipt(resolved.transactionHash);
      const slashed = new Map<string, bigint>();
      for (const l of receipt?.logs ?? []) {
        if (l.address.toLowerCase() !== c.stakeManager.toLowerCase()) continue;
        const parsed = stakes.interface.parseLog(l);
        if (parsed?.name === "NodeSlashed") slashed.set(parsed.args.node as string, (slashed.get(parsed.args.node as string) ?? 0n) + (parsed.args.amount as bigint));
      }
      const voterSlash = (await disputes.params()).voterSlash;
      const absentSeats = BigInt(await disputes.seatsOf(disputeId, absent));
      expectThat(slashed.get(absent) === voterSlash * absentSeats, `the absent member was slashed ${slashed.get(absent) ?? 0n}, not voterSlash ${voterSlash} x its ${absentSeats} seat(s)`);
      const [, revealed] = await disputes.ballotOf(disputeId, absent);
      expectThat(Number(revealed) === 0, "the absent member revealed a vote");
      for (const m of committee.slice(1)) {
        const [, v] = await disputes.ballotOf(disputeId, m);
        if (nameOf(Verdict, v) === verdict) expectThat(!slashed.has(m), `member ${m} voted with the majority (${verdict}) and was slashed`);
      }
      expectThat(verdict === "Valid", `an honest result was judged ${verdict}`);
      const outcome = (await settleAll(d, [jobId], 60_000)).get(jobId);
      expectThat(outcome === "finalized", `job ${jobId} ended ${outcome} after a Valid verdict`);
      await d.stopClock();
      const seats = (await disputes.disputeOf(disputeId)).seats;
      return `dispute ${disputeId} on job ${jobId} resolved ${verdict} (${resolved.args.validVotes} valid, ${resolved.args.invalidVotes} invalid of ${seats} seats held by ${committee.length} members) with one member offline; it was slashed ${(voterSlash * absentSeats) / 10n ** 18n} GLASS; job finalized`;
    }),
};
