/**
 * What JobBook needs of a loaded model: canonical tensor bytes in, canonical bytes out, its input
 * and output specs, a label and `release`. Two implementations: runtime/runner.ts's ModelRunner
 * (onnxruntime-node) and referee/interpreterRunner.ts's InterpreterRunner (the reference
 * interpreter of a refereed program); runtime/loadRunner.ts picks one per model (referee/engine.ts).
 * Besides the interface, the one wording of the "undecodableInput" error both runners throw.
 * Browser-safe.
 */
import { TensorCodecError } from "../codec/tensor";
import type { Engine } from "../referee/engine";
import { InvalidInputError, type TensorSpec } from "./tensorFit";

export interface CanonicalRunner {
  /** A name for messages and logs (the model id, a file name...). */
  readonly label: string;
  /** What computes the outputs. */
  readonly engine: Engine;
  /** The model's inputs, in the model's order (a copy). */
  inputSpec(): TensorSpec[];
  /** The model's outputs, in the model's order (a copy). */
  outputSpec(): TensorSpec[];
  /**
   * Runs the model on a canonical tensor map and returns the canonical encoding of all its outputs.
   * Throws InvalidInputError (tensorFit.ts) with the reason the chain records when the input is
   * not canonical ("undecodableInput"), does not fit ("inputDoesNotFitModel") or the model fails
   * on it ("modelFailed").
   */
  runCanonical(inputBytes: Uint8Array): Promise<Uint8Array>;
  /** Frees what the runner holds; it cannot be used afterwards. */
  release(): Promise<void>;
}

/**
 * The InvalidInputError("undecodableInput") of model `label` for the codec's error `err`; any
 * other error is rethrown (it is the node's own failure, not the input's).
 */
export function undecodableInput(label: string, err: unknown): InvalidInputError {
  if (!(err instanceof TensorCodecError)) throw err;
  const at = err.offset === undefined ? "" : ` (at byte ${err.offset})`;
  return new InvalidInputError("undecodableInput", `model ${label}: the input is not a canonical tensor map: ${err.message}${at}`);
}
