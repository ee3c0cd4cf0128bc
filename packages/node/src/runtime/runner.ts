import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import {
  DTYPES,
  decodeTensors,
  encodeTensors,
  type DType,
  type DecodedTensor,
  type TensorMap,
} from "../codec/tensor";
import { undecodableInput, type CanonicalRunner } from "./canonicalRunner";
import { OrtModel, messageOf, sessionSettings, type OrtApi } from "./ortModel";
import { InvalidInputError, copySpec, type TensorSpec } from "./tensorFit";

export { InvalidInputError, ModelLoadError, type Dim, type TensorSpec } from "./tensorFit";

/**
 * Runs one ONNX model on canonical tensors with onnxruntime-node, set up so that the same input
 * gives the same output bytes on every run of this machine (and, within the model's tolerance,
 * on other machines), and turns every way an input can fail into a typed error with the reason
 * code the chain records. Loading, the input check, the tensor conversions and running are
 * runtime/ortModel.ts and runtime/tensorFit.ts, shared with the explorer's in-browser verifier
 * (onnxruntime-web); this file adds what only the node does: onnxruntime-node itself, reading
 * undeclared shapes with onnx-proto, and taking inputs as canonical bytes or as a TensorMap.
 */

/**
 * Session settings for reproducible results (ortModel.ts sessionSettings: CPU only, one thread,
 * sequential, no graph optimization, denormals kept, fatal-only logging). A fresh object on every
 * call: onnxruntime-node wraps the options in a proxy that does not accept frozen properties.
 */
export const sessionOptions = (): ort.InferenceSession.SessionOptions => sessionSettings("cpu");

/** onnxruntime-node's part of its API that ortModel.ts uses. */
const ORT: OrtApi = { Tensor: ort.Tensor, InferenceSession: ort.InferenceSession };

const ARRAY_OF: Record<DType, DecodedTensorArrayConstructor> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  uint8: Uint8Array,
  int8: Int8Array,
};

type DecodedTensorArrayConstructor =
  | Float32ArrayConstructor
  | Float64ArrayConstructor
  | Int32ArrayConstructor
  | BigInt64ArrayConstructor
  | Uint8ArrayConstructor
  | Int8ArrayConstructor;

export class ModelRunner implements CanonicalRunner {
  /** A name for messages and logs (the model id, a file name...). */
  readonly label: string;
  readonly engine = "onnxruntime";

  private constructor(private readonly model: OrtModel) {
    this.label = model.label;
  }

  /**
   * Loads a model from its bytes. Throws ModelLoadError when onnxruntime refuses the bytes, or
   * when an input or output is not a tensor of a dtype the canonical encoding carries.
   */
  static async load(bytes: Uint8Array, label: string): Promise<ModelRunner> {
    return new ModelRunner(await OrtModel.load(ORT, bytes, label, sessionSettings("cpu"), shapelessValues));
  }

  /** The model's inputs, in the model's order. */
  inputSpec(): TensorSpec[] {
    return this.model.inputs.map(copySpec);
  }

  /** The model's outputs, in the model's order. */
  outputSpec(): TensorSpec[] {
    return this.model.outputs.map(copySpec);
  }

  /**
   * Runs the model on `input` and returns every output. Throws InvalidInputError when the input
   * is malformed, does not fit the model, or the model fails on it.
   */
  async run(input: TensorMap | Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
    const tensors = this.normalize(input);
    this.model.validate(tensors);
    return this.model.execute(tensors);
  }

  /**
   * Runs the model on a canonical tensor map and returns the canonical encoding of all its
   * outputs: the bytes whose keccak256 an executor submits.
   */
  async runCanonical(inputBytes: Uint8Array): Promise<Uint8Array> {
    let tensors: Record<string, DecodedTensor>;
    try {
      tensors = decodeTensors(inputBytes);
    } catch (err) {
      throw this.undecodable(err);
    }
    this.model.validate(tensors);
    const outputs = await this.model.execute(tensors);
    try {
      return encodeTensors(outputs);
    } catch (err) {
      // Output names and dtypes were checked at load, so only the values can be at fault here.
      throw new InvalidInputError("modelFailed", `model ${this.label}: its output cannot be encoded: ${messageOf(err)}`);
    }
  }

  /** Frees the native session; the runner cannot be used afterwards. */
  async release(): Promise<void> {
    await this.model.release();
  }

  /** Typed arrays of the right kind pass through; anything else goes through the codec, which checks every value. */
  private normalize(input: TensorMap | Record<string, DecodedTensor>): Record<string, DecodedTensor> {
    const direct: Record<string, DecodedTensor> = {};
    for (const [name, t] of Object.entries(input)) {
      const decoded = asDecoded(t);
      if (!decoded) return this.viaCodec(input);
      direct[name] = decoded;
    }
    return direct;
  }

  private viaCodec(input: TensorMap): Record<string, DecodedTensor> {
    try {
      return decodeTensors(encodeTensors(input));
    } catch (err) {
      throw this.undecodable(err);
    }
  }

  private undecodable(err: unknown): InvalidInputError {
    return undecodableInput(this.label, err);
  }
}

/** The input as a DecodedTensor when its values are already the typed array the dtype uses and they fit its shape. */
function asDecoded(t: TensorMap[string] | DecodedTensor): DecodedTensor | undefined {
  if (!Object.hasOwn(DTYPES, t.dtype) || !Array.isArray(t.shape)) return undefined;
  if (!(t.data instanceof ARRAY_OF[t.dtype])) return undefined;
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0 && d <= 0xffffffff)) return undefined;
  if (t.shape.reduce((n, d) => n * d, 1) !== t.data.length) return undefined;
  if (t.dtype === "bool" && (t.data as Uint8Array).some((b) => b > 1)) return undefined;
  return { dtype: t.dtype, shape: [...t.shape], data: t.data as DecodedTensor["data"] };
}

/**
 * The names of the model's inputs and outputs that declare a tensor type without a shape (any
 * rank fits them), read with onnx-proto. onnxruntime reports `[]` both for those and for
 * scalars; ortModel.ts calls this only when some value has shape `[]`.
 */
function shapelessValues(bytes: Uint8Array): Set<string> {
  const graph = onnx.ModelProto.decode(bytes).graph;
  const values = [...(graph?.input ?? []), ...(graph?.output ?? [])];
  return new Set(values.filter((v) => v.type?.tensorType && !v.type.tensorType.shape).map((v) => v.name ?? ""));
}
