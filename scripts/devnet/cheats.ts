/**
 * The demo's dishonest executor on a chain it may have run on before (`npm start -- --rpc`): each
 * run's cheat is a key that never staked (freshCheat), and the cheats of earlier runs, which no node
 * process serves any more, are retired before the nodes' stake epoch begins (retireEarlierCheats):
 * otherwise the draw keeps giving them jobs that expire.
 */
import { formatEther, type Provider } from "ethers";
import { StakeManager__factory } from "../../packages/node/src/typechain";
import type { Deployment } from "../../packages/node/src";
import { MIN_ETH } from "./boot";
import { DEPLOYER_INDEX, DISHONEST, ROLE, devnetWallet, fund, type NodeSpec } from "./setup";

/** Keys tried for the dishonest executor: DISHONEST's index and the next ones. A fixed, small range. */
export const CHEAT_KEYS = 20;

/** The mnemonic indexes a dishonest executor may use: DISHONEST's and the CHEAT_KEYS - 1 after it. */
export function cheatIndexes(): number[] {
  return Array.from({ length: CHEAT_KEYS }, (_, i) => DISHONEST.accountIndex + i);
}

/**
 * The dishonest executor's spec on a key that never staked as an executor (the first from DISHONEST's
 * index on): a chain that already ran this demo has the earlier cheats slashed, jailed or retired.
 * Mints it GLASS, and sends it ETH for gas from the deployer when it is short.
 */
export async function freshCheat(deployment: Deployment, provider: Provider): Promise<NodeSpec> {
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  for (const index of cheatIndexes()) {
    const account = await stakes.accountOf(devnetWallet(index).address, ROLE.executor);
    if (account.active !== 0n || account.unbonding !== 0n || account.jailed) continue;
    await gasFor(provider, index);
    await fund(deployment, devnetWallet(DEPLOYER_INDEX, provider), [index]);
    return index === DISHONEST.accountIndex ? DISHONEST : { ...DISHONEST, accountIndex: index };
  }
  const last = DISHONEST.accountIndex + CHEAT_KEYS - 1;
  throw new Error(`keys ${DISHONEST.accountIndex} to ${last} of the mnemonic have all staked as executors on this chain: use a fresh deployment file (--deployment) or another mnemonic`);
}

export interface Retired {
  index: number;
  address: string;
  /** Stake asked out (its whole free stake). */
  unstaked: bigint;
  /** Models it opted out of. */
  optedOut: bigint[];
}

/**
 * Retires every earlier run's dishonest executor still in a draw pool: each key of the cheat range
 * (cheatIndexes) that holds active executor stake opts out of every model it is in and asks its
 * whole free stake out, from its own key. Its weight in every model's pool is then 0 from the next
 * stake epoch on, so it must run before the wait for that epoch (boot.ts: bootDevnet's
 * `beforeEpoch`); this run's cheat has not staked yet, so it is not among them. Idempotent: a retired
 * key holds no free stake and no models, and is left alone (nothing is sent). Returns what it did.
 */
export async function retireEarlierCheats(deployment: Deployment, provider: Provider, say: (line: string) => void = () => undefined): Promise<Retired[]> {
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  const retired: Retired[] = [];
  for (const index of cheatIndexes()) {
    const address = devnetWallet(index).address;
    const account = await stakes.accountOf(address, ROLE.executor);
    if (account.active === 0n) continue;
    const models = [...(await stakes.modelsOf(address))];
    const free = account.active - account.locked;
    if (models.length === 0 && free === 0n) continue;
    const jailed = account.jailed ? ", jailed" : "";
    const what = [free > 0n ? `asking its ${formatEther(free)} GLASS out` : "", models.length > 0 ? `opting out of model${models.length === 1 ? "" : "s"} ${models.map((id) => `#${id}`).join(", ")}` : ""].filter(Boolean);
    say(`retiring earlier cheat executor #${index} ${address} (${formatEther(account.active)} GLASS staked${jailed}, no node serves it): ${what.join(" and ")}; it is drawn for no job from the next stake epoch`);
    await gasFor(provider, index);
    const wallet = devnetWallet(index, provider);
    const own = StakeManager__factory.connect(deployment.contracts.stakeManager, wallet);
    // Sent back to back with consecutive nonces, then awaited: a block or two on an interval-mined chain.
    let nonce = await wallet.getNonce("pending");
    const sent = [];
    for (const id of models) sent.push(await own.optOut(id, { nonce: nonce++ }));
    if (free > 0n) sent.push(await own.requestUnstake(ROLE.executor, free, { nonce: nonce++ }));
    for (const tx of sent) await tx.wait();
    retired.push({ index, address, unstaked: free, optedOut: models });
  }
  return retired;
}

/** Sends key `index` ETH for gas from the deployer when it holds less than MIN_ETH. */
async function gasFor(provider: Provider, index: number): Promise<void> {
  const address = devnetWallet(index).address;
  const balance = await provider.getBalance(address);
  if (balance >= MIN_ETH) return;
  await (await devnetWallet(DEPLOYER_INDEX, provider).sendTransaction({ to: address, value: MIN_ETH * 2n - balance })).wait();
}
