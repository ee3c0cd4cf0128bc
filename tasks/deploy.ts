/**
 * `npx hardhat deploy --network <name> [--fresh] [--verify]`: makes the chain match
 * deploy/params/<network>.json (see deploy/deploy.ts) and writes deployments/<network>.json.
 */
import { task } from "hardhat/config";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import { deploymentFileFor, requireNetworkVars } from "../deploy/networks";
import { isDevnet, loadParams } from "../deploy/params";
import { oneLineErrors, TaskError } from "./lib";
import type { DeploymentRecord } from "../deploy/deploy";

interface DeployArgs {
  fresh: boolean;
  verify: boolean;
  file?: string;
  noCompile: boolean;
}

task("deploy", "Deploy the protocol, or bring an existing deployment in line with deploy/params/<network>.json")
  .addFlag("fresh", "deploy new contracts even if deployments/<network>.json holds reusable ones")
  .addFlag("verify", "verify the contracts' sources on the network's block explorer (testnets)")
  .addFlag("noCompile", "do not compile the contracts first")
  .addOptionalParam("file", "deployment file to read and write (default: deployments/<network>.json)")
  .setAction(
    oneLineErrors(async (args: DeployArgs, hre) => {
      const network = hre.network.name;
      requireNetworkVars(network, { signing: true, verify: args.verify && !isDevnet(network) });
      loadParams(network); // validated before connecting: a bad file fails without an RPC (deploy() loads it again)
      if (!args.noCompile) await hre.run("compile", { quiet: true });
      // Loaded before the first RPC call: loading it blocks the event loop for seconds on a busy
      // machine, long enough for the node to close an idle keep-alive socket the next call would reuse.
      const { deploy, shown } = await import("../deploy/deploy");
      const [deployer] = await hre.ethers.getSigners();
      if (!deployer) throw new TaskError(`network ${network} has no account to deploy from`);
      const file = args.file ?? deploymentFileFor(network);
      const result = await deploy({ deployer, network, deploymentFile: file, fresh: args.fresh, log: (line) => console.log(line) });
      const waiting = result.pending.length > 0 ? `; ${result.pending.length} change(s) queued in the timelock, not yet ready: run deploy again once they are` : "";
      console.log(`${result.sent === 0 && result.pending.length === 0 ? "up to date, " : ""}${result.sent} transaction(s) sent${waiting}; wrote ${shown(file)}`);
      if (args.verify) await verify(hre, result.deployment);
    }),
  );

/** Runs hardhat-verify's verify:verify for every contract deployed here, with its constructor arguments. */
async function verify(hre: HardhatRuntimeEnvironment, deployment: DeploymentRecord): Promise<void> {
  if (isDevnet(hre.network.name)) {
    console.log(`--verify skipped: ${hre.network.name} has no block explorer`);
    return;
  }
  const { SOURCES } = await import("../deploy/deploy");
  const entries = Object.keys(deployment.constructorArgs);
  if (entries.length === 0) throw new TaskError("the deployment file records no constructor arguments (deployed by an older deployer): verify by hand or redeploy with --fresh");
  const failed: string[] = [];
  for (const [name, args] of Object.entries(deployment.constructorArgs) as [keyof typeof SOURCES, unknown[]][]) {
    const address =
      name === "timelock" || name === "jobParams" || name === "jobSettlement" || name === "randomness" ? deployment[name] : deployment.contracts[name];
    if (!address) continue;
    // The JobRegistry links its libraries: the explorer needs their addresses to match its bytecode.
    const libraries =
      name === "jobRegistry" && deployment.jobParams && deployment.jobSettlement
        ? { JobParams: deployment.jobParams, JobSettlement: deployment.jobSettlement }
        : undefined;
    try {
      await hre.run("verify:verify", { address, constructorArguments: args, contract: SOURCES[name], ...(libraries ? { libraries } : {}) });
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, " ");
      console.error(`glassbox: verifying ${name} at ${address} failed: ${why}`);
      failed.push(name);
    }
  }
  if (failed.length > 0) throw new TaskError(`source verification failed for ${failed.join(", ")}`);
}
