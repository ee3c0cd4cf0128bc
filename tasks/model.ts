/** `npx hardhat model:register --file <onnx> [--uri ...]`: the glassbox CLI's `model register` on this network. */
import { task } from "hardhat/config";
import { oneLineErrors, runGlassbox } from "./lib";

interface RegisterArgs {
  file: string;
  uri?: string;
  modes?: string;
}

task("model:register", "Register an ONNX model, signed by the network's first account; prints its id")
  .addParam("file", "the .onnx file")
  .addOptionalParam("uri", "where nodes fetch the model (default: file:// URI of the cached copy)")
  .addOptionalParam("modes", "allowed modes, comma separated (default: none,optimistic,quorum)")
  .setAction(
    oneLineErrors(async (args: RegisterArgs, hre) => {
      const argv = ["model", "register", args.file];
      if (args.uri !== undefined) argv.push("--uri", args.uri);
      if (args.modes !== undefined) argv.push("--modes", args.modes);
      await runGlassbox(hre, argv, { signing: true });
    }),
  );
