/** `job:request` and `job:show`: the glassbox CLI's `job request` and `job status` on this network. */
import { task } from "hardhat/config";
import { oneLineErrors, runGlassbox } from "./lib";

interface RequestArgs {
  model: string;
  input: string;
  mode?: string;
  fee?: string;
  wait: boolean;
}

task("job:request", "Request an inference job, paid by the network's first account; prints the job id")
  .addParam("model", "model id")
  .addParam("input", 'JSON input file: {"<name>": {"dtype": "float32", "shape": [1, 4], "data": [...]}}')
  .addOptionalParam("mode", "verification mode: optimistic, quorum or none (default: optimistic)")
  .addOptionalParam("fee", "fee in tokens (default: the larger of the model's and the protocol's minimum)")
  .addFlag("wait", "wait until the job is Finalized or Refunded and print its result")
  .setAction(
    oneLineErrors(async (args: RequestArgs, hre) => {
      const argv = ["job", "request", "--model", args.model, "--input", args.input];
      if (args.mode !== undefined) argv.push("--mode", args.mode);
      if (args.fee !== undefined) argv.push("--fee", args.fee);
      if (args.wait) argv.push("--wait");
      await runGlassbox(hre, argv, { signing: true });
    }),
  );

task("job:show", "Print a job's state (JSON)")
  .addParam("id", "job id")
  .setAction(oneLineErrors(async (args: { id: string }, hre) => runGlassbox(hre, ["job", "status", args.id], { signing: false })));
