/**
 * The Node-only side of the client SDK (sdk/ itself is browser-safe): connecting from a deployment
 * file on disk, and a `ModelRunner` backed by the node's onnxruntime-node runner.
 *
 *   const client = await connectFromFile("deployments/localhost.json", wallet);
 *   const report = await client.verify(jobId, onnxModelRunner());
 */
import type { Provider, Signer } from "ethers";
import { checkChain, DeploymentError, readDeployment, type Deployment } from "./deployment";
import { ModelRunner as OnnxRunner } from "./runtime/runner";
import type { DecodedTensor } from "./codec/tensor";
import { GlassboxClient } from "./sdk/client";
import { asGlassboxError, GlassboxError } from "./sdk/errors";
import type { ClientOptions, ModelRunner } from "./sdk/types";

/**
 * A GlassboxClient of the deployment described in `file` (deployment.ts's format, as `npm start`
 * and the deploy task write it). Throws GlassboxError BAD_DEPLOYMENT when the file is missing or
 * not a valid deployment, or when the runner's chain is not the one the file names.
 */
export async function connectFromFile(file: string, runner: Signer | Provider, options: ClientOptions = {}): Promise<GlassboxClient> {
  let deployment: Deployment;
  try {
    deployment = readDeployment(file);
  } catch (err) {
    throw deploymentError(err);
  }
  // A signer without a provider is left to connect, which says to connect it first.
  const provider = typeof (runner as Signer).getAddress === "function" ? (runner as Signer).provider : (runner as Provider);
  if (provider) {
    try {
      await checkChain(deployment, provider, file);
    } catch (err) {
      throw err instanceof DeploymentError ? deploymentError(err) : asGlassboxError(err, "reading the chain id");
    }
  }
  return GlassboxClient.connect({ deployment }, runner, options);
}

function deploymentError(err: unknown): GlassboxError {
  if (!(err instanceof DeploymentError)) return asGlassboxError(err, "reading the deployment file");
  return new GlassboxError("BAD_DEPLOYMENT", err.message, { cause: err });
}

/**
 * A ModelRunner that loads the model into onnxruntime-node for each run and frees it after. Its
 * InvalidInputError carries the `reason` the SDK turns into the honest invalid-input claim.
 */
export function onnxModelRunner(label = "sdk"): ModelRunner {
  return {
    async run(modelBytes: Uint8Array, inputs: Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
      const runner = await OnnxRunner.load(modelBytes, label);
      try {
        return await runner.run(inputs);
      } finally {
        await runner.release();
      }
    },
  };
}
