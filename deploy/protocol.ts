import { ZeroAddress, type BaseContract, type Signer } from "ethers";
import {
  BlockHashRandomness__factory,
  DisputeManager__factory,
  GlassboxToken__factory,
  JobParams__factory,
  JobSettlement__factory,
  JobRegistry__factory,
  ModelRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../packages/node/src/typechain";
import type {
  DisputeManager,
  GlassboxToken,
  JobRegistry,
  ModelRegistry,
  PaymentVault,
  QuorumManager,
  StakeManager,
} from "../packages/node/src/typechain";
import type { IJobRegistry } from "../packages/node/src/typechain/contracts/JobRegistry";
import type { IDisputeManager } from "../packages/node/src/typechain/contracts/DisputeManager";

const TOKEN = 10n ** 18n;

/** Every deployment parameter in one object; see docs for each bound (the contracts enforce them). */
export interface ProtocolParams {
  minExecutorStake: bigint;
  minVerifierStake: bigint;
  unbondingPeriod: number;
  /** StakeManager.EPOCH_LENGTH (seconds): committee draws use the verifiers' stakes as they stood when the epoch of the dispute's opening began; at least disputes.commitWindow. Immutable. */
  stakeEpoch: number;
  /** The randomness source of committee draws and audit coins (BlockHashRandomness): `delay` blocks from trigger to target (2..64), `history` whether to read EIP-2935's block hashes (false on Arbitrum). Immutable. */
  randomness: { delay: number; history: boolean };
  /** ModelRegistry's least audit rate for a model that allows OPTIMISTIC (basis points, <= 2,000); the collateral multiple assumes it. */
  minAuditRateBps: number;
  /** What an executor locks per job: max(minimum, fee x multipleBps / 10,000), `minimum` for NONE; fees needing more than `maximum` are refused. */
  collateral: IJobRegistry.CollateralTermsStruct;
  jobs: IJobRegistry.ParamsStruct;
  disputes: IDisputeManager.ParamsStruct;
}

/** Parameters for tests and the devnet: short windows, small amounts. */
export const DEVNET_PARAMS: ProtocolParams = {
  minExecutorStake: 100n * TOKEN,
  minVerifierStake: 100n * TOKEN,
  unbondingPeriod: 7 * 24 * 3600,
  stakeEpoch: 3600,
  randomness: { delay: 2, history: true },
  minAuditRateBps: 500,
  // A wrong OPTIMISTIC answer must lose money in expectation (docs/ARCHITECTURE.md): C > (1 - q h) f /
  // (q h (1 - b)) with q = 5% (the least audit rate), h = 0.972 (a committee of 3 against a 10% stake
  // share) and b = bounty / minimum = 10%, i.e. C > 21.75 f: 22x the fee (loadParams checks it).
  collateral: { minimum: 20n * TOKEN, multipleBps: 220_000, maximum: 100_000n * TOKEN },
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
    // Committees of 3 keep the unit tests readable; every other shipped file has 7 (the binomial
    // bound of docs/ARCHITECTURE.md: below 1% for a 10% stake share, proposer bit included).
    committeeSize: 3,
    commitWindow: 600,
    revealWindow: 600,
    winnerShareBps: 5000,
    challengeBond: 10n * TOKEN,
    voterSlash: 5n * TOKEN,
    auditReward: TOKEN / 10n,
    bounty: 2n * TOKEN,
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
 * Deploys the whole protocol and wires it (see `wireProtocol`). `governance` (default: the
 * deployer) is every contract's GOVERNANCE; the deployer only wires. Pass `tokenAddress` to use an
 * existing ERC-20 instead of deploying the devnet token.
 */
export async function deployProtocol(
  deployer: Signer,
  params: ProtocolParams = DEVNET_PARAMS,
  treasury?: string,
  tokenAddress?: string,
  governance?: string,
): Promise<Protocol> {
  const protocol = await deployContracts(deployer, params, treasury, tokenAddress, governance);
  await wireProtocol(protocol);
  return protocol;
}

/**
 * Deploys the seven contracts (six with `tokenAddress`), unwired, each mined before the next is
 * sent. `governance` (default: the deployer; a TimelockController on real networks) is the
 * GOVERNANCE of the StakeManager, PaymentVault, DisputeManager and JobRegistry; the treasury
 * defaults to the deployer, and so does the devnet token's minter. With `tokenAddress`, `token`
 * is that ERC-20 behind the GlassboxToken typing: only its ERC-20 functions may be called (it
 * has no `mint`).
 */
export async function deployContracts(
  deployer: Signer,
  params: ProtocolParams,
  treasury?: string,
  tokenAddress?: string,
  governance?: string,
): Promise<Protocol> {
  const deployerAddress = await deployer.getAddress();
  const admin = governance ?? deployerAddress;
  const treasuryAddress = treasury ?? deployerAddress;
  const token = tokenAddress
    ? GlassboxToken__factory.connect(tokenAddress, deployer)
    : await mined(new GlassboxToken__factory(deployer).deploy(deployerAddress));
  const models = await mined(new ModelRegistry__factory(deployer).deploy(params.minAuditRateBps));
  const stakes = await mined(
    new StakeManager__factory(deployer).deploy(
      token,
      admin,
      params.minExecutorStake,
      params.minVerifierStake,
      params.unbondingPeriod,
      params.stakeEpoch,
    ),
  );
  const randomness = await mined(new BlockHashRandomness__factory(deployer).deploy(params.randomness.delay, params.randomness.history));
  const vault = await mined(new PaymentVault__factory(deployer).deploy(token, admin, treasuryAddress));
  const disputes = await mined(new DisputeManager__factory(deployer).deploy(stakes, randomness, vault, admin, params.disputes));
  const quorum = await mined(new QuorumManager__factory(deployer).deploy());
  const jobParams = await mined(new JobParams__factory(deployer).deploy());
  const jobSettlement = await mined(new JobSettlement__factory(deployer).deploy());
  const libraries = {
    "contracts/libraries/JobParams.sol:JobParams": await jobParams.getAddress(),
    "contracts/libraries/JobSettlement.sol:JobSettlement": await jobSettlement.getAddress(),
  };
  const jobs = await mined(
    new JobRegistry__factory(libraries, deployer).deploy(
      token,
      models,
      stakes,
      disputes,
      quorum,
      vault,
      randomness,
      admin,
      params.collateral,
      params.jobs,
    ),
  );
  return { token, models, stakes, vault, disputes, quorum, jobs };
}

/** Thrown when the deployed wiring points somewhere else and cannot be changed (set-once hubs). */
export class WiringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WiringError";
  }
}

/**
 * Wires the contracts together, sending only what is missing (one transaction per line returned):
 * the JobRegistry and the DisputeManager become the only callers that may lock, unlock and slash
 * stake and move value in the vault; the JobRegistry is the hub of both managers (it calls them;
 * they never call it). Every link is set once by the deployer (the contracts must be connected to
 * it); a link that points at another contract throws WiringError: only a fresh deployment can fix it.
 */
export async function wireProtocol(protocol: Protocol): Promise<string[]> {
  const { stakes, vault, disputes, quorum, jobs } = protocol;
  const jobsAddress = await jobs.getAddress();
  const disputesAddress = await disputes.getAddress();
  const done: string[] = [];
  const links = [
    ["StakeManager.wire", () => stakes.hub(), () => stakes.wire(jobsAddress, disputesAddress)],
    ["PaymentVault.wire", () => vault.hub(), () => vault.wire(jobsAddress, disputesAddress)],
    ["DisputeManager.hub", () => disputes.hub(), () => disputes.setHub(jobsAddress)],
    ["QuorumManager.hub", () => quorum.hub(), () => quorum.setHub(jobsAddress)],
  ] as const;
  for (const [name, read, set] of links) {
    const current = await read();
    if (current === jobsAddress) continue;
    if (current !== ZeroAddress) {
      throw new WiringError(`${name} is ${current}, not the JobRegistry ${jobsAddress}, and can be set only once: this needs a fresh deployment`);
    }
    await (await set()).wait();
    done.push(`${name} -> JobRegistry`);
  }
  return done;
}

/** Waits until a deployment is mined (Hardhat's automine answers at once; a testnet takes a block). */
async function mined<T extends BaseContract>(pending: Promise<T>): Promise<T> {
  const contract = await pending;
  await contract.waitForDeployment();
  return contract;
}
