/**
 * Opt-ins for contracts/test/StakerSwarm.sol's nodes, which the gas script and the bench's scaling
 * section stake by the thousand. An executor is drawn only for the models it opted in to, and a
 * SwarmNode (a contract that can only `stake`) cannot call `optIn`: on Hardhat's network each node
 * is impersonated (its address is the swarm's CREATE address of its nonce) and sends `optIn` itself.
 */
import { ethers, network } from "hardhat";
import { getCreateAddress, toBeHex } from "ethers";
import type { StakeManager, StakerSwarm } from "../typechain-types";

/** Every swarm node after the first `from` opts in to `modelId`; returns how many did. */
export async function optInSwarm(swarm: StakerSwarm, stakes: StakeManager, modelId: bigint, from: number): Promise<number> {
  const swarmAddress = await swarm.getAddress();
  const count = Number(await swarm.count());
  for (let i = from; i < count; i++) {
    // A contract's nonce starts at 1 (EIP-161): the swarm's i-th node was created with nonce i + 1.
    const node = getCreateAddress({ from: swarmAddress, nonce: i + 1 });
    await network.provider.send("hardhat_impersonateAccount", [node]);
    await network.provider.send("hardhat_setBalance", [node, toBeHex(10n ** 18n)]);
    const signer = await ethers.getSigner(node);
    await (await stakes.connect(signer).optIn(modelId)).wait();
    await network.provider.send("hardhat_stopImpersonatingAccount", [node]);
  }
  return count - from;
}
