/**
 * The least fee the JobRegistry accepts for a request: the larger of the protocol's `minFee`, the
 * model's `minFee` and, for an OPTIMISTIC job judged by the default committee, the audit floor
 * (JobParams._checkAuditRate): the verifiers' share of the fee must fund the job's expected audit,
 * fee x verifierBps >= rate x DisputeManager.auditCost(), rate the larger of the model's audit rate
 * and the one the requester buys.
 */
import { IDisputeManager__factory, type JobRegistry, type ModelRegistry } from "../typechain";
import { Mode } from "../sdk/protocol";

/** What a request's least fee is made of (each in token units). */
export interface LeastFee {
  fee: bigint;
  protocolMin: bigint;
  modelMin: bigint;
  auditFloor: bigint;
}

/** The least fee for `modelId` in `mode` with `boughtRateBps` (0: the model's rate). */
export async function leastFee(jobs: JobRegistry, models: ModelRegistry, modelId: bigint, mode: number, boughtRateBps: number): Promise<LeastFee> {
  const [params, policy, policyVersion] = await Promise.all([jobs.params(), models.policyOf(modelId), models.policyVersionOf(modelId)]);
  let auditFloor = 0n;
  if (mode === Mode.OPTIMISTIC) {
    const [, , resolver] = await models.termsAt(modelId, policyVersion);
    const rate = BigInt(Math.max(boughtRateBps, Number(policy.auditRateBps)));
    if (/^0x0{40}$/i.test(resolver) && rate > 0n) {
      const disputes = IDisputeManager__factory.connect(await jobs.DISPUTES(), jobs.runner);
      const cost = rate * (await disputes.auditCost());
      const verifierBps = BigInt(params.verifierBps);
      // verifierBps 0 leaves audits unfunded: no fee is enough, which the chain reports as FeeBelowAuditCost.
      auditFloor = verifierBps === 0n ? 2n ** 96n - 1n : (cost + verifierBps - 1n) / verifierBps;
    }
  }
  const protocolMin = params.minFee;
  const modelMin = policy.minFee;
  const fee = [protocolMin, modelMin, auditFloor].reduce((a, b) => (a > b ? a : b));
  return { fee, protocolMin, modelMin, auditFloor };
}
