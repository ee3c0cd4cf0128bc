/**
 * A devnet's chain, up to the moment nodes can start: `hardhat node` on `port`, the protocol
 * deployed with the localhost parameters, GLASS minted, models registered, nodes staked and
 * executors opted in to their models. The demo (main.ts), the benchmarks, the chaos scenarios and
 * the restart test all start this way.
 */
import path from "node:path";
import type { JsonRpcProvider } from "ethers";
import { deploy, type DeployResult } from "../../deploy/deploy";
import { loadParams, type NetworkParams } from "../../deploy/params";
import { readDeployment, type Deployment } from "../../verifier/src/deployment";
import { StakeManager__factory } from "../../typechain-types";
import { startChain } from "./chain";
import type { ProcessGroup, Started } from "./processes";
import { DEPLOYER_INDEX, MODEL_OWNER_INDEX, devnetWallet, fund, registerModels, stakeNode, type NodeSpec, type RegisterOptions, type RegisteredModel } from "./setup";

export interface BootOptions {
  root: string;
  port: number;
  /** Where the chain's log and the models' files go. */
  stateDir: string;
  deploymentFile: string;
  /** Accounts (mnemonic indexes) that receive GLASS. */
  fund: number[];
  /** Nodes staked (executors opted in to their models) before the call returns. */
  stake: NodeSpec[];
  models?: RegisterOptions;
  /** Changes the localhost parameters before deploying (a test's own devnet, e.g. no least audit rate). */
  params?: (loaded: NetworkParams) => NetworkParams;
}

export interface Booted {
  chain: { process: Started; provider: JsonRpcProvider; url: string };
  deployed: DeployResult;
  deployment: Deployment;
  models: Map<string, RegisteredModel>;
}

export async function bootDevnet(group: ProcessGroup, o: BootOptions): Promise<Booted> {
  const chain = await startChain(group, { root: o.root, port: o.port, logFile: path.join(o.stateDir, "chain.log") });
  const provider = chain.provider;
  const deployer = devnetWallet(DEPLOYER_INDEX, provider);
  // A file left by an earlier devnet points at addresses without code: deploy() deploys afresh.
  const params = o.params ? o.params(loadParams("localhost")) : undefined;
  const deployed = await deploy({ deployer, network: "localhost", params, deploymentFile: o.deploymentFile, log: () => undefined });
  const deployment = readDeployment(o.deploymentFile);
  await fund(deployment, deployer, o.fund);
  const models = await registerModels(deployment, devnetWallet(MODEL_OWNER_INDEX, provider), path.join(o.stateDir, "models"), o.models);
  for (const node of o.stake) await stakeNode(deployment, node, provider, models);
  // The stakes and opt-ins above count from the next stake epoch: move there.
  await startNextStakeEpoch(deployment, provider);
  return { chain, deployed, deployment, models };
}

/**
 * Moves the devnet's chain time to the start of the next stake epoch: executors and committees are
 * drawn from the stakes (and the executors' model pools) as they stood when the epoch of the draw's
 * trigger began, so nodes just staked or opted in are drawn only from the next epoch on (a real
 * network simply waits; the devnet's clock is ours).
 */
export async function startNextStakeEpoch(deployment: Deployment, provider: JsonRpcProvider): Promise<void> {
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  const length = Number(await stakes.EPOCH_LENGTH());
  const now = (await provider.getBlock("latest"))!.timestamp;
  await provider.send("evm_increaseTime", [length - (now % length)]);
  await provider.send("evm_mine", []);
}
