/**
 * A devnet's chain, up to the moment nodes can start: a local chain on `port` (`hardhat node`, or
 * anvil with interval mining), the protocol deployed with its parameters (deploy/params/localhost.json
 * or anvil.json), GLASS minted, models registered, nodes staked and executors opted in to their
 * models; with `contentStorePort`, a content store for large inputs, named in the deployment file. The demo (main.ts), the benchmarks, the chaos scenarios and the restart test all start this way.
 */
import path from "node:path";
import { formatEther, parseEther, type JsonRpcProvider, type Provider } from "ethers";
import { deploy, type DeployResult } from "../../deploy/deploy";
import { loadParams, type NetworkParams } from "../../deploy/params";
import { readDeployment, type Deployment } from "../../packages/node/src";
import { StakeManager__factory } from "../../packages/node/src/typechain";
import { pinnedProvider, sleep, startChain, type ChainKind } from "./chain";
import { startContentStore } from "./contentStore";
import type { ProcessGroup, Started } from "./processes";
import { DEPLOYER_INDEX, MODEL_OWNER_INDEX, devnetWallet, fund, registerModels, stakeNode, type NodeSpec, type RegisterOptions, type RegisteredModel } from "./setup";

export interface BootOptions {
  root: string;
  port: number;
  /** Default: hardhat. */
  chain?: ChainKind;
  /**
   * A chain that is already running, instead of starting one (`port` and `chain` are then unused):
   * its time is taken as real time (anvil.json's windows), its deployment file reused when its
   * contracts are there, and every key (from `useDevnetMnemonic`) must already hold ETH.
   */
  rpc?: string;
  /** Where the chain's log and the models' files go. */
  stateDir: string;
  deploymentFile: string;
  /** Accounts (mnemonic indexes) that receive GLASS. */
  fund: number[];
  /** Nodes staked (executors opted in to their models) before the call returns. */
  stake: NodeSpec[];
  models?: RegisterOptions;
  /**
   * Starts the devnet's content store on 127.0.0.1:<port> (scripts/devnet/contentStore.ts) and
   * writes its URL to the deployment file's `contentStore`, where `glassbox job request` finds it.
   */
  contentStorePort?: number;
  /** Changes the localhost parameters before deploying (a test's own devnet, e.g. no least audit rate). */
  params?: (loaded: NetworkParams) => NetworkParams;
  /**
   * Runs once the nodes are staked, before the wait for the next stake epoch: a stake or pool change
   * made here counts in that epoch's draws (the demo retires earlier runs' cheats here).
   */
  beforeEpoch?: (deployment: Deployment, provider: JsonRpcProvider) => Promise<void>;
}

export interface Booted {
  /** `process` is absent for a chain the devnet did not start (`rpc`). */
  chain: { process?: Started; provider: JsonRpcProvider; url: string };
  deployed: DeployResult;
  deployment: Deployment;
  models: Map<string, RegisteredModel>;
  /** The content store's URL, when `contentStorePort` started one. */
  contentStore?: string;
}

export async function bootDevnet(group: ProcessGroup, o: BootOptions): Promise<Booted> {
  // A chain already running keeps its own time, as anvil does: real time, anvil.json's windows.
  const kind: ChainKind = o.rpc !== undefined ? "anvil" : (o.chain ?? "hardhat");
  const chain = o.rpc !== undefined ? { provider: await pinnedProvider(o.rpc), url: o.rpc } : await startChain(group, { root: o.root, port: o.port, kind, logFile: path.join(o.stateDir, "chain.log") });
  const provider = chain.provider;
  const deployer = devnetWallet(DEPLOYER_INDEX, provider);
  if (o.rpc !== undefined) await requireEth(provider, [DEPLOYER_INDEX, MODEL_OWNER_INDEX, ...o.fund]);
  const network = paramsNetwork(kind);
  // A file left by an earlier devnet points at addresses without code: deploy() deploys afresh.
  const params = o.params ? o.params(loadParams(network)) : undefined;
  const deployed = await deploy({ deployer, network, params, deploymentFile: o.deploymentFile, log: () => undefined });
  const store = o.contentStorePort === undefined ? undefined : await startContentStore(group, { root: o.root, stateDir: o.stateDir, port: o.contentStorePort, deploymentFile: o.deploymentFile });
  const deployment = readDeployment(o.deploymentFile);
  await fund(deployment, deployer, o.fund);
  const models = await registerModels(deployment, devnetWallet(MODEL_OWNER_INDEX, provider), path.join(o.stateDir, "models"), o.models);
  // Each node stakes (and opts in) from its own key, so all of them at once (a block or two on an
  // interval-mined chain). The stakes and opt-ins count from the next stake epoch: move there.
  await Promise.all(o.stake.map((node) => stakeNode(deployment, node, provider, models)));
  await o.beforeEpoch?.(deployment, provider);
  await startNextStakeEpoch(deployment, provider, kind);
  return { chain, deployed, deployment, models, contentStore: store?.url };
}

/** The least ETH each devnet key needs on a chain the devnet did not start (its transactions' gas). */
export const MIN_ETH = parseEther("0.05");

/** Throws, naming every key (index and address) whose ETH balance is below MIN_ETH. */
export async function requireEth(provider: Provider, indexes: number[]): Promise<void> {
  const short: string[] = [];
  for (const index of [...new Set(indexes)]) {
    const address = devnetWallet(index).address;
    const balance = await provider.getBalance(address);
    if (balance < MIN_ETH) short.push(`#${index} ${address} (${formatEther(balance)} ETH)`);
  }
  if (short.length > 0) {
    throw new Error(`these keys of GLASSBOX_MNEMONIC hold less than ${formatEther(MIN_ETH)} ETH for gas on the chain: ${short.join(", ")}; send them ETH and run again`);
  }
}

/** The parameter file a devnet on `kind` deploys with: anvil's windows fit real time. */
export function paramsNetwork(kind: ChainKind): "localhost" | "anvil" {
  return kind === "anvil" ? "anvil" : "localhost";
}

/**
 * Brings the devnet to the start of the next stake epoch: executors and committees are drawn from
 * the stakes (and the executors' model pools) as they stood when the epoch of the draw's trigger
 * began, so nodes just staked or opted in are drawn only from the next epoch on. On hardhat the
 * devnet's clock is ours and jumps there; anvil's time is real time, so this waits (at most one
 * epoch, a minute with anvil.json) like a real network would.
 */
export async function startNextStakeEpoch(deployment: Deployment, provider: JsonRpcProvider, kind: ChainKind = "hardhat"): Promise<void> {
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  const length = Number(await stakes.EPOCH_LENGTH());
  const now = (await provider.getBlock("latest"))!.timestamp;
  const next = now - (now % length) + length;
  if (kind === "hardhat") {
    await provider.send("evm_increaseTime", [next - now]);
    await provider.send("evm_mine", []);
    return;
  }
  const giveUp = Date.now() + (length + 30) * 1000;
  while ((await provider.getBlock("latest"))!.timestamp < next) {
    if (Date.now() > giveUp) throw new Error(`the chain's time did not reach the next stake epoch (${next}) within ${length + 30} s: is the chain mining blocks?`);
    await sleep(500);
  }
}
