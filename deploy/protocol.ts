import type { Signer } from "ethers";
import {
  DisputeManager__factory,
  GlassboxToken__factory,
  JobRegistry__factory,
  ModelRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../typechain-types";
import type {
  DisputeManager,
  GlassboxToken,
  JobRegistry,
  ModelRegistry,
  PaymentVault,
  QuorumManager,
  StakeManager,
} from "../typechain-types";
import type { IJobRegistry } from "../typechain-types/contracts/JobRegistry";
import type { IDisputeManager } from "../typechain-types/contracts/DisputeManager";

const TOKEN = 10n ** 18n;

/** Every deployment parameter in one object; see docs for each bound (the contracts enforce them). */
export interface ProtocolParams {
  adminDelay: number; // StakeManager's two-step admin transfer delay, seconds
  minExecutorStake: bigint;
  minVerifierStake: bigint;
  unbondingPeriod: number;
  executorCollateral: bigint;
  jobs: IJobRegistry.ParamsStruct;
  disputes: IDisputeManager.ParamsStruct;
}

/** Parameters for tests and the devnet: short windows, small amounts. */
export const DEVNET_PARAMS: ProtocolParams = {
  adminDelay: 0,
  minExecutorStake: 100n * TOKEN,
  minVerifierStake: 100n * TOKEN,
  unbondingPeriod: 7 * 24 * 3600,
  executorCollateral: 20n * TOKEN,
  jobs: {
    executionWindow: 600,
    challengeWindow: 1800,
    revealWindow: 600,
    quorumSize: 3,
    maxAttempts: 3,
    verifierBps: 1000,
    modelOwnerBps: 1000,
    treasuryBps: 500,
    quorumWinnerShareBps: 5000,
    minFee: 10n ** 15n,
    timeoutSlash: 2n * TOKEN,
  },
  disputes: {
    committeeSize: 3,
    commitWindow: 600,
    revealWindow: 600,
    winnerShareBps: 5000,
    challengeBond: 10n * TOKEN,
    voterSlash: 5n * TOKEN,
    auditReward: 1n * TOKEN,
  },
};

export interface Protocol {
  token: GlassboxToken;
  models: ModelRegistry;
  stakes: StakeManager;
  vault: PaymentVault;
  disputes: DisputeManager;
  quorum: QuorumManager;
  jobs: JobRegistry;
}

/**
 * Deploys the whole protocol with `deployer` as admin and wires the roles: the JobRegistry and the
 * DisputeManager may lock, unlock and slash stake and move value in the vault; the JobRegistry is
 * the hub of both managers and bounds the unbonding period. Pass `tokenAddress` to use an existing
 * ERC-20 instead of deploying the devnet token.
 */
export async function deployProtocol(
  deployer: Signer,
  params: ProtocolParams = DEVNET_PARAMS,
  treasury?: string,
): Promise<Protocol> {
  const admin = await deployer.getAddress();
  const treasuryAddress = treasury ?? admin;
  const token = await new GlassboxToken__factory(deployer).deploy(admin);
  const models = await new ModelRegistry__factory(deployer).deploy();
  const stakes = await new StakeManager__factory(deployer).deploy(
    token,
    admin,
    params.adminDelay,
    params.minExecutorStake,
    params.minVerifierStake,
    params.unbondingPeriod,
  );
  const vault = await new PaymentVault__factory(deployer).deploy(token, admin, treasuryAddress);
  const disputes = await new DisputeManager__factory(deployer).deploy(token, stakes, vault, admin, params.disputes);
  const quorum = await new QuorumManager__factory(deployer).deploy();
  const jobs = await new JobRegistry__factory(deployer).deploy(
    token,
    models,
    stakes,
    disputes,
    quorum,
    vault,
    admin,
    params.executorCollateral,
    params.jobs,
  );
  const protocolRole = await stakes.PROTOCOL_ROLE();
  await (await stakes.grantRole(protocolRole, jobs)).wait();
  await (await stakes.grantRole(protocolRole, disputes)).wait();
  const vaultRole = await vault.PROTOCOL_ROLE();
  await (await vault.grantRole(vaultRole, jobs)).wait();
  await (await vault.grantRole(vaultRole, disputes)).wait();
  await (await disputes.setHub(jobs)).wait();
  await (await quorum.setHub(jobs)).wait();
  await (await stakes.setWindowSource(jobs)).wait();
  return { token, models, stakes, vault, disputes, quorum, jobs };
}
