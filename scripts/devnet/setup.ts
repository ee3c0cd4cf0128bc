/**
 * What the devnet sets up once its contracts are deployed: who is who (keys derived from Hardhat's
 * development mnemonic, which `hardhat node` funds with ETH), GLASS for everyone who pays or
 * stakes, the example models registered under their real SHA-256, and the nodes' stakes (each
 * executor opted in to the models it runs: executors are drawn per model).
 */
import fs from "node:fs";
import path from "node:path";
import { HDNodeWallet, sha256, parseEther, ZeroHash, type Provider, type Wallet } from "ethers";
import { GlassboxToken__factory, ModelRegistry__factory, StakeManager__factory } from "../../packages/node/src/typechain";
import type { Deployment } from "../../packages/node/src";
import { HARDHAT_MNEMONIC } from "./chain";
import { DEVNET_MODELS, type DevnetModel } from "./models";

/** Role numbers of contracts/types/Types.sol. */
export const ROLE = { executor: 0, verifier: 1 } as const;

export interface NodeSpec {
  name: string;
  role: "executor" | "verifier";
  accountIndex: number;
  stake: bigint;
  dishonest?: boolean;
  /** Executors: names of the registered models it opts in to (default: every model registered). */
  models?: string[];
}

/** Account 0 deploys and owns the token; 1 owns the models; 2 and 3 request jobs; the nodes follow. */
export const DEPLOYER_INDEX = 0;
export const MODEL_OWNER_INDEX = 1;
export const CLIENT_INDEXES = [2, 3];

export const NODES: NodeSpec[] = [
  { name: "executor-1", role: "executor", accountIndex: 4, stake: parseEther("200") },
  { name: "executor-2", role: "executor", accountIndex: 5, stake: parseEther("200") },
  { name: "executor-3", role: "executor", accountIndex: 6, stake: parseEther("200") },
  { name: "verifier-1", role: "verifier", accountIndex: 7, stake: parseEther("200") },
  { name: "verifier-2", role: "verifier", accountIndex: 8, stake: parseEther("200") },
  { name: "verifier-3", role: "verifier", accountIndex: 9, stake: parseEther("200") },
];

/**
 * The dishonest executor joins once the honest jobs are done, with a large stake so that the draw
 * soon gives it a job: it adds 1.0 to every float it returns.
 */
export const DISHONEST: NodeSpec = { name: "dishonest-executor", role: "executor", accountIndex: 10, stake: parseEther("1000"), dishonest: true };

/** GLASS minted to every client and node. */
export const FUNDING = parseEther("5000");

let activeMnemonic = HARDHAT_MNEMONIC;

/**
 * The mnemonic every devnet key is derived from: Hardhat's development mnemonic (which the local
 * chains fund) unless a devnet on an existing chain (`npm start -- --rpc`) set its own.
 */
export function useDevnetMnemonic(phrase: string): void {
  HDNodeWallet.fromPhrase(phrase); // throws on a phrase that is not a valid BIP-39 mnemonic
  activeMnemonic = phrase;
}

export function devnetWallet(index: number, provider?: Provider): HDNodeWallet {
  const wallet = HDNodeWallet.fromPhrase(activeMnemonic, undefined, `m/44'/60'/0'/0/${index}`);
  return provider ? wallet.connect(provider) : wallet;
}

export interface RegisteredModel {
  id: bigint;
  model: DevnetModel;
  file: string;
  digest: string;
}

/** Mints GLASS to the clients and nodes (the devnet token's owner is the deployer). */
export async function fund(deployment: Deployment, deployer: HDNodeWallet | Wallet, indexes: number[]): Promise<void> {
  const token = GlassboxToken__factory.connect(deployment.contracts.token, deployer);
  // Sent back to back with consecutive nonces, then awaited: on a chain that mines on an interval
  // (anvil) they share a block or two instead of taking one block each.
  const first = await deployer.getNonce("pending");
  const sent = [];
  for (const [i, index] of indexes.entries()) sent.push(await token.mint(devnetWallet(index).address, FUNDING, { nonce: first + i }));
  for (const tx of sent) await tx.wait();
}

export interface RegisterOptions {
  /** Only these models (default: all of DEVNET_MODELS). */
  names?: string[];
  /** Share of OPTIMISTIC results audited unasked, in basis points (default 1000: 10%; the registry
   *  takes 500 to 2,000 for a model that allows OPTIMISTIC). */
  auditRateBps?: number;
}

/**
 * Writes each model's bytes under `dir` and registers it with a file:// URI; returns them by name. A
 * model whose digest is already registered (a devnet run again on the same chain) is reused as it is.
 */
export async function registerModels(deployment: Deployment, owner: HDNodeWallet | Wallet, dir: string, options: RegisterOptions = {}): Promise<Map<string, RegisteredModel>> {
  const registry = ModelRegistry__factory.connect(deployment.contracts.modelRegistry, owner);
  fs.mkdirSync(dir, { recursive: true });
  const out = new Map<string, RegisteredModel>();
  for (const model of DEVNET_MODELS.filter((m) => !options.names || options.names.includes(m.name))) {
    const bytes = model.bytes();
    const file = path.resolve(dir, `${model.name}.onnx`);
    fs.writeFileSync(file, bytes);
    const digest = sha256(bytes);
    const policy = {
      // NONE and OPTIMISTIC; QUORUM too for an exact model (the registry allows it only there).
      allowedModes: model.exact ? 0x07 : 0x03,
      exact: model.exact,
      auditRateBps: options.auditRateBps ?? 1000,
      maxInputBytes: 64 * 1024,
      minFee: parseEther("0.5"),
      runtime: 0, // small models: the protocol's execution window is enough
      absTolerance: model.absTolerance,
      relTolerance: model.relTolerance,
      schemaHash: ZeroHash,
    };
    const [known] = await registry.modelOfDigest(digest);
    if (known !== 0n) {
      out.set(model.name, { id: known, model, file, digest });
      continue;
    }
    const receipt = await (await registry.registerModel(digest, `file://${file}`, policy)).wait();
    let id: bigint | undefined;
    for (const log of receipt?.logs ?? []) {
      const parsed = registry.interface.parseLog(log);
      if (parsed?.name === "ModelRegistered") id = parsed.args.modelId as bigint;
    }
    if (id === undefined) throw new Error(`registering ${model.name} emitted no ModelRegistered event`);
    out.set(model.name, { id, model, file, digest });
  }
  return out;
}

/**
 * Approves and stakes `node.stake` for its role from its own key; an executor then opts in to its
 * models (`node.models`, or every one of `registered`): it is drawn only for those. Both count from
 * the next stake epoch, so the caller moves the clock there afterwards (boot.ts: startNextStakeEpoch).
 */
export async function stakeNode(deployment: Deployment, node: NodeSpec, provider: Provider, registered: Map<string, RegisteredModel>): Promise<void> {
  const wallet = devnetWallet(node.accountIndex, provider);
  const token = GlassboxToken__factory.connect(deployment.contracts.token, wallet);
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, wallet);
  // On a chain that already ran this devnet, a node tops its stake up to `node.stake` and joins
  // only the models it is not in yet.
  const active = (await stakes.accountOf(wallet.address, ROLE[node.role])).active;
  if (active < node.stake) {
    await (await token.approve(deployment.contracts.stakeManager, node.stake - active)).wait();
    await (await stakes.stake(ROLE[node.role], node.stake - active)).wait();
  }
  if (node.role !== "executor") return;
  const joined = new Set((await stakes.modelsOf(wallet.address)).map((id) => id.toString()));
  for (const id of modelIdsOf(node, registered)) if (!joined.has(id.toString())) await (await stakes.optIn(id)).wait();
}

/** The ids of the models executor `node` opts in to: `node.models` by name, or every registered model. */
export function modelIdsOf(node: NodeSpec, registered: Map<string, RegisteredModel>): bigint[] {
  if (!node.models) return [...registered.values()].map((m) => m.id);
  return node.models.map((name) => {
    const model = registered.get(name);
    if (!model) throw new Error(`${node.name} runs model "${name}", which this devnet did not register (registered: ${[...registered.keys()].join(", ")})`);
    return model.id;
  });
}
