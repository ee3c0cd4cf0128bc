import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";
import {
  DTYPES,
  MAX_NAME_BYTES,
  MAX_TENSORS,
  TensorCodecError,
  decodeTensors,
  encodeTensors,
  type DType,
  type DecodedTensor,
  type TensorMap,
} from "../codec/tensor";
import type { InvalidReason } from "../sdk/enums";

/**
 * Runs one ONNX model on canonical tensors with onnxruntime-node, set up so that the same input
 * gives the same output bytes on every run of this machine (and, within the model's tolerance,
 * on other machines), and turns every way an input can fail into a typed error with the reason
 * code the chain records.
 */

/** A dimension of a model's input or output: a fixed size, or the name of a dynamic one ("?" when unnamed). */
export type Dim = number | string;

/** What the model declares for one input or output. */
export interface TensorSpec {
  name: string;
  dtype: DType;
  /** `null` when the model does not declare a shape at all (any rank fits); `[]` for a scalar. */
  shape: Dim[] | null;
}

/**
 * Why an input was not run, with the reason code an executor reports on-chain: "undecodableInput"
 * (not a canonical tensor map), "inputDoesNotFitModel" (names, dtypes, ranks or fixed dimensions
 * differ from the model's) or "modelFailed" (the model was loaded but onnxruntime failed on this input).
 */
export class InvalidInputError extends Error {
  constructor(
    readonly reason: InvalidReason,
    message: string,
    /** The tensor at fault, when there is one. */
    readonly tensor?: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** The model's bytes cannot be run here: onnxruntime refuses them, or they use a dtype or value type the codec cannot carry. */
export class ModelLoadError extends Error {
  /** The reason code an executor reports for a job whose model cannot be loaded. */
  readonly reason: InvalidReason = "modelUnavailable";

  constructor(
    readonly label: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModelLoadError";
  }
}

/**
 * Session settings for reproducible results. Each is chosen for determinism first; where speed
 * is given up, the comment says how much. A fresh object on every call: onnxruntime-node wraps
 * the options in a proxy that does not accept frozen properties.
 */
export const sessionOptions = (): ort.InferenceSession.SessionOptions => ({
  // Only the CPU provider: it ships inside onnxruntime-node on every platform, and a GPU kernel
  // would give different rounding (and is not deterministic for several reductions).
  executionProviders: ["cpu"],
  // One thread inside each operator: a multi-threaded reduction (ReduceSum, Gemm, Conv, Softmax)
  // adds partial sums in an order that depends on how the work was split, so results could
  // change with the machine's core count. One thread fixes the summation order.
  intraOpNumThreads: 1,
  // Nodes run one at a time, in the session's fixed topological order, never in parallel...
  executionMode: "sequential",
  // ...and so no pool is needed to run independent branches.
  interOpNumThreads: 1,
  // Graph optimizations off: the graph runs exactly as written. Fusions (Conv+Add, Gemm+Relu,
  // MatMul+Add, layout changes to NCHWc) depend on the onnxruntime version and the CPU's
  // instruction set and change rounding; they also remove intermediate tensors, which an
  // operator-level refereed dispute (DESIGN.md) must be able to recompute one by one. Measured
  // here (median of 200 runs, one thread): silero-vad 0.27 ms disabled vs 0.26 ms "all", the
  // fixtures 0.016-0.018 ms vs 0.014-0.016 ms. Large convolutional models lose more (NCHWc
  // layouts are their main speed-up); determinism is worth that to a verifier.
  graphOptimizationLevel: "disabled",
  // The memory arena and memory pattern only decide where buffers live, never what they hold;
  // keeping them on saves an allocation per tensor per run.
  enableCpuMemArena: true,
  enableMemPattern: true,
  // Fatal only: onnxruntime's warnings and errors would bypass the node's structured logs, and
  // every error it meets reaches the caller anyway, as an exception turned into a typed error.
  logSeverityLevel: 4,
  extra: {
    session: {
      // Denormal floats are kept (the default, stated here because flushing them to zero is
      // faster on some CPUs and would change results near zero).
      set_denormal_as_zero: "0",
    },
  },
});

/** Per-run settings: the same quiet logging as the session's. */
const RUN_OPTIONS: ort.InferenceSession.RunOptions = { logSeverityLevel: 4 };

const ORT_TO_DTYPE: Partial<Record<ort.Tensor.Type, DType>> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  uint8: "uint8",
  int8: "int8",
};

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

const utf8 = new TextEncoder();

export class ModelRunner {
  private constructor(
    /** A name for messages and logs (the model id, a file name...). */
    readonly label: string,
    private readonly session: ort.InferenceSession,
    private readonly inputs: readonly TensorSpec[],
    private readonly outputs: readonly TensorSpec[],
  ) {}

  /**
   * Loads a model from its bytes. Throws ModelLoadError when onnxruntime refuses the bytes, or
   * when an input or output is not a tensor of a dtype the canonical encoding carries.
   */
  static async load(bytes: Uint8Array, label: string): Promise<ModelRunner> {
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, sessionOptions());
    } catch (err) {
      throw new ModelLoadError(label, `model ${label}: onnxruntime cannot load it: ${messageOf(err)}`, { cause: err });
    }
    try {
      const undeclared = shapelessValues(bytes, session);
      const inputs = specsOf(label, "input", session.inputMetadata, undeclared);
      const outputs = specsOf(label, "output", session.outputMetadata, undeclared);
      return new ModelRunner(label, session, inputs, outputs);
    } catch (err) {
      await session.release();
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(label, `model ${label}: cannot read its inputs and outputs: ${messageOf(err)}`, { cause: err });
    }
  }

  /** The model's inputs, in the model's order. */
  inputSpec(): TensorSpec[] {
    return this.inputs.map(copySpec);
  }

  /** The model's outputs, in the model's order. */
  outputSpec(): TensorSpec[] {
    return this.outputs.map(copySpec);
  }

  /**
   * Runs the model on `input` and returns every output. Throws InvalidInputError when the input
   * is malformed, does not fit the model, or the model fails on it.
   */
  async run(input: TensorMap | Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
    const tensors = this.normalize(input);
    this.validate(tensors);
    return this.execute(tensors);
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
    this.validate(tensors);
    const outputs = await this.execute(tensors);
    try {
      return encodeTensors(outputs);
    } catch (err) {
      // Output names and dtypes were checked at load, so only the values can be at fault here.
      throw new InvalidInputError("modelFailed", `model ${this.label}: its output cannot be encoded: ${messageOf(err)}`);
    }
  }

  /** Frees the native session; the runner cannot be used afterwards. */
  async release(): Promise<void> {
    await this.session.release();
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
    if (!(err instanceof TensorCodecError)) throw err;
    const at = err.offset === undefined ? "" : ` (at byte ${err.offset})`;
    return new InvalidInputError("undecodableInput", `model ${this.label}: the input is not a canonical tensor map: ${err.message}${at}`);
  }

  /** Every input present, nothing extra, dtypes and ranks equal, fixed dimensions equal. */
  private validate(tensors: Record<string, DecodedTensor>): void {
    const expected = this.inputs.map((s) => s.name);
    for (const name of Object.keys(tensors)) {
      if (!this.inputs.some((s) => s.name === name)) {
        this.misfit(name, `input "${name}" is not an input of the model (it expects ${quoted(expected)})`);
      }
    }
    for (const spec of this.inputs) {
      const t = tensors[spec.name];
      if (!Object.hasOwn(tensors, spec.name)) this.misfit(spec.name, `input "${spec.name}" is missing (the model expects ${quoted(expected)})`);
      if (t.dtype !== spec.dtype) this.misfit(spec.name, `input "${spec.name}" has dtype ${t.dtype}, the model expects ${spec.dtype}`);
      if (spec.shape === null) continue;
      if (t.shape.length !== spec.shape.length) {
        this.misfit(
          spec.name,
          `input "${spec.name}" has rank ${t.shape.length} (shape ${showShape(t.shape)}), the model expects rank ${spec.shape.length} (shape ${showShape(spec.shape)})`,
        );
      }
      spec.shape.forEach((d, i) => {
        if (typeof d === "number" && t.shape[i] !== d) {
          this.misfit(
            spec.name,
            `input "${spec.name}" has size ${t.shape[i]} in dimension ${i} (shape ${showShape(t.shape)}), the model expects ${d} (shape ${showShape(spec.shape ?? [])})`,
          );
        }
      });
    }
  }

  private misfit(tensor: string, message: string): never {
    throw new InvalidInputError("inputDoesNotFitModel", `model ${this.label}: ${message}`, tensor);
  }

  private async execute(tensors: Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const spec of this.inputs) feeds[spec.name] = toOrt(tensors[spec.name]);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds, RUN_OPTIONS);
    } catch (err) {
      throw new InvalidInputError("modelFailed", `model ${this.label}: onnxruntime failed on this input: ${messageOf(err)}`);
    }
    const out: Record<string, DecodedTensor> = {};
    for (const spec of this.outputs) {
      const value = results[spec.name];
      const dtype = value ? ORT_TO_DTYPE[value.type] : undefined;
      if (!value || !dtype) throw new InvalidInputError("modelFailed", `model ${this.label}: output "${spec.name}" is missing or not a ${spec.dtype} tensor`);
      out[spec.name] = { dtype, shape: [...value.dims], data: typedCopy(dtype, value.data) };
    }
    return out;
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

function toOrt(t: DecodedTensor): ort.Tensor {
  switch (t.dtype) {
    case "float32":
      return new ort.Tensor("float32", t.data as Float32Array, t.shape);
    case "float64":
      return new ort.Tensor("float64", t.data as Float64Array, t.shape);
    case "int32":
      return new ort.Tensor("int32", t.data as Int32Array, t.shape);
    case "int64":
      return new ort.Tensor("int64", t.data as BigInt64Array, t.shape);
    case "bool":
      return new ort.Tensor("bool", t.data as Uint8Array, t.shape);
    case "uint8":
      return new ort.Tensor("uint8", t.data as Uint8Array, t.shape);
    case "int8":
      return new ort.Tensor("int8", t.data as Int8Array, t.shape);
  }
}

/** A fresh typed array of the kind DecodedTensor uses for `dtype` (onnxruntime already returns that kind; the copy detaches it from the session). */
function typedCopy(dtype: DType, data: ort.Tensor["data"]): DecodedTensor["data"] {
  if (dtype === "int64") {
    if (!(data instanceof BigInt64Array)) throw new TypeError(`int64 output data is a ${data.constructor.name}`);
    return BigInt64Array.from(data);
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array || Array.isArray(data)) {
    throw new TypeError(`${dtype} output data is a ${data.constructor.name}`);
  }
  switch (dtype) {
    case "float32":
      return Float32Array.from(data);
    case "float64":
      return Float64Array.from(data);
    case "int32":
      return Int32Array.from(data);
    case "int8":
      return Int8Array.from(data);
    default:
      return Uint8Array.from(data);
  }
}

/**
 * onnxruntime reports `[]` both for a scalar and for a value whose shape the model leaves
 * undeclared; the names of the latter are read from the model itself, only when needed.
 */
function shapelessValues(bytes: Uint8Array, session: ort.InferenceSession): Set<string> {
  const metadata = [...session.inputMetadata, ...session.outputMetadata];
  if (!metadata.some((m) => m.isTensor && m.shape.length === 0)) return new Set();
  const graph = onnx.ModelProto.decode(bytes).graph;
  const values = [...(graph?.input ?? []), ...(graph?.output ?? [])];
  return new Set(values.filter((v) => v.type?.tensorType && !v.type.tensorType.shape).map((v) => v.name ?? ""));
}

function specsOf(
  label: string,
  kind: "input" | "output",
  metadata: readonly ort.InferenceSession.ValueMetadata[],
  shapeless: Set<string>,
): TensorSpec[] {
  if (metadata.length > MAX_TENSORS) throw new ModelLoadError(label, `model ${label}: ${metadata.length} ${kind}s, the encoding carries at most ${MAX_TENSORS}`);
  return metadata.map((m) => {
    const nameBytes = utf8.encode(m.name).length;
    if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES) {
      throw new ModelLoadError(label, `model ${label}: ${kind} "${m.name}" has a name of ${nameBytes} bytes, the encoding allows 1..${MAX_NAME_BYTES}`);
    }
    if (!m.isTensor) throw new ModelLoadError(label, `model ${label}: ${kind} "${m.name}" is not a tensor`);
    const dtype = ORT_TO_DTYPE[m.type];
    if (!dtype) {
      throw new ModelLoadError(label, `model ${label}: ${kind} "${m.name}" has dtype ${m.type}, supported are ${Object.keys(DTYPES).join(", ")}`);
    }
    const shape = shapeless.has(m.name) ? null : m.shape.map((d): Dim => (typeof d === "number" && d >= 0 ? d : String(d) || "?"));
    return { name: m.name, dtype, shape };
  });
}

function copySpec(s: TensorSpec): TensorSpec {
  return { name: s.name, dtype: s.dtype, shape: s.shape && [...s.shape] };
}

function showShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

function quoted(names: readonly string[]): string {
  return names.length === 0 ? "no inputs" : names.map((n) => `"${n}"`).join(", ");
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
