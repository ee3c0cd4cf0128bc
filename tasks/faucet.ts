/** `npx hardhat faucet --to <addr> [--eth N] [--tokens N]`: funds an account on a devnet. */
import { task } from "hardhat/config";
import { getAddress, parseEther, parseUnits } from "ethers";
import { isDevnet } from "../deploy/params";
import { networkDeployment, oneLineErrors, TaskError } from "./lib";

interface FaucetArgs {
  to: string;
  eth: string;
  tokens: string;
}

task("faucet", "Send ETH and mint GLASS to an address (hardhat/localhost only: the deployer owns the token)")
  .addParam("to", "the address to fund")
  .addOptionalParam("eth", "ETH to send", "10")
  .addOptionalParam("tokens", "GLASS to mint", "1000")
  .setAction(
    oneLineErrors(async (args: FaucetArgs, hre) => {
      if (!isDevnet(hre.network.name)) throw new TaskError(`faucet works on hardhat/localhost only, not ${hre.network.name}`);
      let to: string;
      try {
        to = getAddress(args.to);
      } catch {
        throw new TaskError(`--to "${args.to}" is not an address`);
      }
      const { deployment } = await networkDeployment(hre, { signing: true });
      const { GlassboxToken__factory } = await import("../packages/node/src/typechain");
      const [owner] = await hre.ethers.getSigners();
      const token = GlassboxToken__factory.connect(deployment.contracts.token, owner);
      const tokens = amount(args.tokens, "--tokens", 18);
      const eth = amount(args.eth, "--eth", 18);
      if (eth > 0n) await (await owner.sendTransaction({ to, value: eth })).wait();
      if (tokens > 0n) await (await token.mint(to, tokens)).wait();
      console.log(`sent ${args.eth} ETH and ${args.tokens} GLASS to ${to}`);
    }),
  );

function amount(text: string, flag: string, decimals: number): bigint {
  try {
    const value = decimals === 18 ? parseEther(text) : parseUnits(text, decimals);
    if (value < 0n) throw new Error("negative");
    return value;
  } catch {
    throw new TaskError(`${flag} "${text}" is not a non-negative amount`);
  }
}
