/**
 * The SDK's ModelRunner on onnxruntime-web (its CPU WebAssembly build). Everything that decides a
 * result is the node's own code, shared with its onnxruntime-node runner (runtime/runner.ts):
 * src/runtime/ortModel.ts (the session settings for reproducible results, the model's input and
 * output specs, the tensor conversions, running) and src/runtime/tensorFit.ts (the check that the
 * input fits the model's declared inputs, and the typed errors whose `reason` the SDK turns into
 * the honest invalid-input claim: "inputDoesNotFitModel", "modelFailed", "modelUnavailable"), so a
 * claim is checked here exactly as a verifier node checks it. What is left here is the browser's:
 * where the runtime's WebAssembly is served, starting it (and telling a runtime that cannot start
 * from a model it refuses), and reading undeclared shapes without a protobuf library (onnxShapes.ts).
 */
import * as ort from "onnxruntime-web/wasm";
import type { DecodedTensor, ModelRunner } from "../../src/sdk";
import { OrtModel, messageOf, sessionSettings, type OrtApi } from "../../src/runtime/ortModel";
import { shapelessValues } from "./onnxShapes";

export { InvalidInputError, ModelLoadError } from "../../src/runtime/tensorFit";

/** Where build-explorer.js copies the runtime's .wasm (and its .mjs loader). */
export const ORT_WASM_PATH = "/assets/ort/";

ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = ORT_WASM_PATH;
ort.env.wasm.proxy = false;
ort.env.logLevel = "fatal";

/** onnxruntime-web's part of its API that ortModel.ts uses. */
const ORT: OrtApi = { Tensor: ort.Tensor, InferenceSession: ort.InferenceSession };

/** The runtime itself cannot start in this browser (its WebAssembly did not load): nothing is known about the model. */
export class RuntimeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeUnavailableError";
  }
}

/** A one-node Identity model (float32 [1]), built with packages/testkit's OnnxModelBuilder: starting the runtime on it tells a runtime failure from a model the runtime refuses. */
const PROBE_MODEL = "CAcSFWdsYXNzYm94LW9ubngtYnVpbGRlchoBMTpHChwKAXgSAXkaCklkZW50aXR5XzAiCElkZW50aXR5EgVwcm9iZVoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=";

let started: Promise<void> | undefined;

/** Starts onnxruntime-web once (loads its WebAssembly) by running the probe model; throws RuntimeUnavailableError when it cannot. */
export function startRuntime(): Promise<void> {
  started ??= (async () => {
    try {
      const bytes = Uint8Array.from(atob(PROBE_MODEL), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes, sessionSettings("wasm"));
      const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([1.5]), [1]) });
      await session.release();
      if ((out.y?.data as Float32Array | undefined)?.[0] !== 1.5) throw new Error("the probe model returned a wrong value");
    } catch (err) {
      started = undefined;
      throw new RuntimeUnavailableError(`onnxruntime-web cannot start in this browser (its WebAssembly is loaded from ${ORT_WASM_PATH}): ${messageOf(err)}`, { cause: err });
    }
  })();
  return started;
}

/** A ModelRunner that loads the model into onnxruntime-web for each run and frees it after (as sdkNode.ts onnxModelRunner does). */
export function ortModelRunner(label = "browser"): ModelRunner {
  return {
    async run(modelBytes: Uint8Array, inputs: Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
      await startRuntime();
      const model = await OrtModel.load(ORT, modelBytes, label, sessionSettings("wasm"), shapelessValues);
      try {
        model.validate(inputs);
        return await model.execute(inputs);
      } finally {
        await model.release();
      }
    },
  };
}
