/**
 * The Node-only side of the client SDK (sdk/ itself is browser-safe): connecting from a deployment
 * file on disk, and a `ModelRunner` backed by the node's onnxruntime-node runner.
 *
 *   const client = await connectFromFile("deployments/localhost.json", wallet);
 *   const report = await client.verify(jobId, onnxModelRunner());
 */
import type { Provider, Signer } from "ethers";
import { readDeployment } from "./deployment";
import { ModelRunner as OnnxRunner } from "./runtime/runner";
import type { DecodedTensor } from "./codec/tensor";
import { GlassboxClient } from "./sdk/client";
import type { ClientOptions, ModelRunner } from "./sdk/types";

/** A GlassboxClient of the deployment described in `file` (throws DeploymentError for a bad file). */
export async function connectFromFile(file: string, runner: Signer | Provider, options: ClientOptions = {}): Promise<GlassboxClient> {
  return GlassboxClient.connect({ deployment: readDeployment(file) }, runner, options);
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
