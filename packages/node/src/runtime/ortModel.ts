/**
 * One ONNX model loaded into onnxruntime, whichever onnxruntime it is: the session settings for
 * reproducible results, reading the model's input and output specs, converting canonical tensors
 * to onnxruntime's and back (int64 as BigInt64Array, bool as 0/1 bytes), running, and turning each
 * failure into the typed error whose reason the chain records. The node's runner
 * (runtime/runner.ts) passes onnxruntime-node, the explorer's in-browser verifier
 * (web/src/ortRunner.ts) onnxruntime-web: a claim is checked in the browser exactly as a verifier
 * node checks it because both run this one copy.
 *
 * Browser-safe: it imports no onnxruntime package (the caller passes its `Tensor` constructor and
 * `InferenceSession` object; both packages implement onnxruntime-common's API, of which the
 * interfaces below describe just what is used), no `node:` module and no protobuf library.
 */
import { DTYPES, MAX_NAME_BYTES, MAX_TENSORS, type DType, type DecodedTensor } from "../codec/tensor";
import { InvalidInputError, ModelLoadError, checkFit, type Dim, type TensorSpec } from "./tensorFit";

/** What is used of an onnxruntime tensor (onnxruntime-common's Tensor). */
export interface OrtTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: OrtTensorData;
}

/** onnxruntime-common's Tensor.DataType: the data of a CPU tensor of any of its types. */
export type OrtTensorData =
  | Float32Array
  | Float64Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | BigUint64Array
  | string[];

/** onnxruntime-common's Tensor constructor, for the dtypes the canonical encoding carries. */
export interface OrtTensorConstructor {
  new (type: "float32", data: Float32Array, dims: readonly number[]): OrtTensor;
  new (type: "float64", data: Float64Array, dims: readonly number[]): OrtTensor;
  new (type: "int32", data: Int32Array, dims: readonly number[]): OrtTensor;
  new (type: "int64", data: BigInt64Array, dims: readonly number[]): OrtTensor;
  new (type: "bool", data: Uint8Array, dims: readonly number[]): OrtTensor;
  new (type: "uint8", data: Uint8Array, dims: readonly number[]): OrtTensor;
  new (type: "int8", data: Int8Array, dims: readonly number[]): OrtTensor;
}

/** onnxruntime-common's InferenceSession.ValueMetadata. */
export type OrtValueMetadata =
  | { readonly name: string; readonly isTensor: false }
  | { readonly name: string; readonly isTensor: true; readonly type: string; readonly shape: ReadonlyArray<number | string> };

/** onnxruntime-common's InferenceSession, as used here. */
export interface OrtSession {
  readonly inputMetadata: readonly OrtValueMetadata[];
  readonly outputMetadata: readonly OrtValueMetadata[];
  run(feeds: Record<string, OrtTensor>, options: RunOptions): Promise<{ readonly [name: string]: OrtTensor }>;
  release(): Promise<void>;
}

/** The onnxruntime package's API that a model needs: onnxruntime-node's or onnxruntime-web's `Tensor` and `InferenceSession`. */
export interface OrtApi {
  readonly Tensor: OrtTensorConstructor;
  readonly InferenceSession: {
    create(bytes: Uint8Array, options: SessionSettings): Promise<OrtSession>;
  };
}

/** The session options `sessionSettings` returns (a subset of onnxruntime-common's InferenceSession.SessionOptions). */
export interface SessionSettings {
  executionProviders: ["cpu" | "wasm"];
  intraOpNumThreads: 1;
  executionMode: "sequential";
  interOpNumThreads: 1;
  graphOptimizationLevel: "disabled";
  enableCpuMemArena: true;
  enableMemPattern: true;
  logSeverityLevel: 4;
  extra: { session: { set_denormal_as_zero: "0" } };
}

interface RunOptions {
  readonly logSeverityLevel: 4;
}

/**
 * Session settings for reproducible results. Each is chosen for determinism first; where speed
 * is given up, the comment says how much. A fresh object on every call: onnxruntime-node wraps
 * the options in a proxy that does not accept frozen properties.
 */
export const sessionSettings = (executionProvider: "cpu" | "wasm"): SessionSettings => ({
  // Only the CPU provider ("cpu" in onnxruntime-node, "wasm" in onnxruntime-web: the same CPU
  // kernels compiled to WebAssembly): it ships inside onnxruntime-node on every platform, and a
  // GPU kernel would give different rounding (and is not deterministic for several reductions).
  executionProviders: [executionProvider],
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
const RUN_OPTIONS: RunOptions = { logSeverityLevel: 4 };

const ORT_TO_DTYPE: Partial<Record<string, DType>> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  uint8: "uint8",
  int8: "int8",
};

const utf8 = new TextEncoder();

/**
 * A model loaded into an onnxruntime session, with its input and output specs. The caller
 * releases it. Its inputs are checked with `validate` before `execute` runs them.
 */
export class OrtModel {
  private constructor(
    /** A name for messages and logs (the model id, a file name...). */
    readonly label: string,
    private readonly Tensor: OrtTensorConstructor,
    private readonly session: OrtSession,
    /** The model's inputs and outputs, in the model's order. */
    readonly inputs: readonly TensorSpec[],
    readonly outputs: readonly TensorSpec[],
  ) {}

  /**
   * Loads a model from its bytes into `ort`'s session with `options` (`sessionSettings`).
   * `shapelessValues(bytes)` names the model's inputs and outputs that declare no shape:
   * onnxruntime reports `[]` both for those and for scalars, so it is called (only when some
   * value has shape `[]`) to tell them apart. Throws ModelLoadError when onnxruntime refuses the
   * bytes, or when an input or output is not a tensor of a dtype the canonical encoding carries.
   */
  static async load(ort: OrtApi, bytes: Uint8Array, label: string, options: SessionSettings, shapelessValues: (bytes: Uint8Array) => Set<string>): Promise<OrtModel> {
    let session: OrtSession;
    try {
      session = await ort.InferenceSession.create(bytes, options);
    } catch (err) {
      throw new ModelLoadError(label, `model ${label}: onnxruntime cannot load it: ${messageOf(err)}`, { cause: err });
    }
    try {
      const metadata = [...session.inputMetadata, ...session.outputMetadata];
      const undeclared = metadata.some((m) => m.isTensor && m.shape.length === 0) ? shapelessValues(bytes) : new Set<string>();
      const inputs = specsOf(label, "input", session.inputMetadata, undeclared);
      const outputs = specsOf(label, "output", session.outputMetadata, undeclared);
      return new OrtModel(label, ort.Tensor, session, inputs, outputs);
    } catch (err) {
      await session.release();
      if (err instanceof ModelLoadError) throw err;
      throw new ModelLoadError(label, `model ${label}: cannot read its inputs and outputs: ${messageOf(err)}`, { cause: err });
    }
  }

  /** Throws InvalidInputError("inputDoesNotFitModel") unless `tensors` fit the model's inputs (tensorFit.ts checkFit). */
  validate(tensors: Record<string, DecodedTensor>): void {
    checkFit(this.label, this.inputs, tensors);
  }

  /**
   * Runs validated inputs and returns every output, detached from the session.
   * Throws InvalidInputError("modelFailed") when onnxruntime fails on them or an output is missing
   * or of another dtype.
   */
  async execute(tensors: Record<string, DecodedTensor>): Promise<Record<string, DecodedTensor>> {
    const feeds: Record<string, OrtTensor> = {};
    for (const spec of this.inputs) feeds[spec.name] = toOrt(this.Tensor, tensors[spec.name]);
    let results: { readonly [name: string]: OrtTensor };
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

  /** Frees the session; the model cannot be run afterwards. */
  async release(): Promise<void> {
    await this.session.release();
  }
}

/** A DecodedTensor as an onnxruntime tensor: each dtype's typed array as is, int64 as BigInt64Array, bool as 0/1 bytes. */
function toOrt(Tensor: OrtTensorConstructor, t: DecodedTensor): OrtTensor {
  switch (t.dtype) {
    case "float32":
      return new Tensor("float32", t.data as Float32Array, t.shape);
    case "float64":
      return new Tensor("float64", t.data as Float64Array, t.shape);
    case "int32":
      return new Tensor("int32", t.data as Int32Array, t.shape);
    case "int64":
      return new Tensor("int64", t.data as BigInt64Array, t.shape);
    case "bool":
      return new Tensor("bool", t.data as Uint8Array, t.shape);
    case "uint8":
      return new Tensor("uint8", t.data as Uint8Array, t.shape);
    case "int8":
      return new Tensor("int8", t.data as Int8Array, t.shape);
  }
}

/** A fresh typed array of the kind DecodedTensor uses for `dtype` (onnxruntime already returns that kind; the copy detaches it from the session). */
function typedCopy(dtype: DType, data: OrtTensorData): DecodedTensor["data"] {
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

function specsOf(label: string, kind: "input" | "output", metadata: readonly OrtValueMetadata[], shapeless: Set<string>): TensorSpec[] {
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

/** An error's message, or the thrown value as text. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
