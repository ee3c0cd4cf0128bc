/**
 * Dishonest output strategies, for the devnet's cheating executor and for tests: they are how the
 * protocol's dispute path is exercised end to end. Nothing in the node's configuration selects one;
 * only code that builds a node (CliIo.strategy, NodeDeps.strategy) can.
 */
import { decodeTensors, encodeTensors, type TensorMap } from "../../node/src/sdk";
import type { OutputStrategy } from "../../node/src";

/** Adds `delta` to every float32 element of the outputs of the given attempts (all attempts by default). */
export function perturbFloats(delta: number, attempts?: number[]): OutputStrategy {
  return {
    transform(output, job) {
      if (attempts && !attempts.includes(job.attempt)) return output;
      const tensors: TensorMap = {};
      for (const [name, t] of Object.entries(decodeTensors(output))) {
        const data = t.data instanceof Float32Array ? Float32Array.from(t.data, (v) => v + delta) : t.data;
        tensors[name] = { dtype: t.dtype, shape: t.shape, data };
      }
      return encodeTensors(tensors);
    },
  };
}
