/** `npx hardhat stake:show --address <addr>`: a node's stake in both roles and its executor models (JSON). */
import { task } from "hardhat/config";
import { formatUnits, getAddress } from "ethers";
import { networkDeployment, oneLineErrors, TaskError } from "./lib";

task("stake:show", "Print an address's stake, locked collateral and unbonding in each role, and the models it executes (JSON)")
  .addParam("address", "the node's address")
  .setAction(
    oneLineErrors(async (args: { address: string }, hre) => {
      let node: string;
      try {
        node = getAddress(args.address);
      } catch {
        throw new TaskError(`--address "${args.address}" is not an address`);
      }
      const { deployment } = await networkDeployment(hre);
      const { StakeManager__factory, GlassboxToken__factory } = await import("../packages/node/src/typechain");
      const { ROLE_NAMES } = await import("../packages/node/src/sdk");
      const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, hre.ethers.provider);
      const decimals = Number(await GlassboxToken__factory.connect(deployment.contracts.token, hre.ethers.provider).decimals());
      const fmt = (v: bigint) => formatUnits(v, decimals);
      const out: Record<string, unknown> = { address: node };
      for (const [i, role] of ROLE_NAMES.entries()) {
        const a = await stakes.accountOf(node, i);
        out[role] = {
          active: fmt(a.active),
          locked: fmt(a.locked),
          unbonding: fmt(a.unbonding),
          releaseAt: Number(a.releaseAt),
          jailed: a.jailed,
          eligible: await stakes.isEligible(node, i),
          minStake: fmt(await stakes.minStake(i)),
          // An executor is drawn only for the models it opted in to.
          ...(role === "executor" ? { models: (await stakes.modelsOf(node)).map(Number).sort((a, b) => a - b) } : {}),
        };
      }
      console.log(JSON.stringify(out, null, 2));
    }),
  );
