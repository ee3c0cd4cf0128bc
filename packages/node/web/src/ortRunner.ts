/**
 * The SDK's ModelRunner on onnxruntime-web (its CPU WebAssembly build), mirroring the node's
 * onnxruntime-node runner (packages/node/src/runtime/runner.ts): the same session settings for
 * reproducible results, the same check that the input fits the model's declared inputs, and the
 * same typed errors whose `reason` the SDK turns into the honest invalid-input claim
 * ("inputDoesNotFitModel", "modelFailed", "modelUnavailable"), so a claim is checked here as a
 * verifier node checks it.
 */
import * as ort from "onnxruntime-web/wasm";
import { DTYPES, MAX_NAME_BYTES, MAX_TENSORS, type DType, type DecodedTensor, type InvalidReason, type ModelRunner } from "../../src/sdk";
import { shapelessValues } from "./onnxShapes";

/** Where build-explorer.js copies the runtime's .wasm (and its .mjs loader). */
export const ORT_WASM_PATH = "/assets/ort/";

ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = ORT_WASM_PATH;
ort.env.wasm.proxy = false;
ort.env.logLevel = "fatal";

type Dim = number | string;
interface TensorSpec {
  name: string;
  dtype: DType;
  shape: Dim[] | null;
}

/** As runtime/runner.ts InvalidInputError: the input cannot be run, with the reason code the chain records. */
export class InvalidInputError extends Error {
  constructor(
    readonly reason: InvalidReason,
    message: string,
    readonly tensor?: string,
  ) {
    super(message);
    this.name = "InvalidInputError";
  }
}

/** As runtime/runner.ts ModelLoadError: onnxruntime refuses the model's bytes, or they use a dtype the codec cannot carry. */
export class ModelLoadError extends Error {
  readonly reason: InvalidReason = "modelUnavailable";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ModelLoadError";
  }
}

/** The runtime itself cannot start in this browser (its WebAssembly did not load): nothing is known about the model. */
export class RuntimeUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RuntimeUnavailableError";
  }
}

/** runtime/runner.ts sessionOptions, in onnxruntime-web's terms: CPU (wasm) only, one thread, sequential, no graph optimization. */
const sessionOptions = (): ort.InferenceSession.SessionOptions => ({
  executionProviders: ["wasm"],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: "sequential",
  graphOptimizationLevel: "disabled",
  enableCpuMemArena: true,
  enableMemPattern: true,
  logSeverityLevel: 4,
  extra: { session: { set_denormal_as_zero: "0" } },
});

const ORT_TO_DTYPE: Partial<Record<ort.Tensor.Type, DType>> = {
  float32: "float32",
  float64: "float64",
  int32: "int32",
  int64: "int64",
  bool: "bool",
  uint8: "uint8",
  int8: "int8",
};

/** A one-node Identity model (float32 [1]), built with packages/testkit's OnnxModelBuilder: starting the runtime on it tells a runtime failure from a model the runtime refuses. */
const PROBE_MODEL = "CAcSFWdsYXNzYm94LW9ubngtYnVpbGRlchoBMTpHChwKAXgSAXkaCklkZW50aXR5XzAiCElkZW50aXR5EgVwcm9iZVoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=";

let started: Promise<void> | undefined;

/** Starts onnxruntime-web once (loads its WebAssembly) by running the probe model; throws RuntimeUnavailableError when it cannot. */
export function startRuntime(): Promise<void> {
  started ??= (async () => {
    try {
      const bytes = Uint8Array.from(atob(PROBE_MODEL), (c) => c.charCodeAt(0));
      const session = await ort.InferenceSession.create(bytes, sessionOptions());
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
      const { session, inputSpecs, outputSpecs } = await load(modelBytes, label);
      try {
        validate(label, inputSpecs, inputs);
        return await execute(label, session, inputSpecs, outputSpecs, inputs);
      } finally {
        await session.release();
      }
    },
  };
}

async function load(bytes: Uint8Array, label: string) {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOptions());
  } catch (err) {
    throw new ModelLoadError(`model ${label}: onnxruntime cannot load it: ${messageOf(err)}`, { cause: err });
  }
  try {
    const metadata = [...session.inputMetadata, ...session.outputMetadata];
    const shapeless = metadata.some((m) => m.isTensor && m.shape.length === 0) ? shapelessValues(bytes) : new Set<string>();
    return { session, inputSpecs: specsOf(label, "input", session.inputMetadata, shapeless), outputSpecs: specsOf(label, "output", session.outputMetadata, shapeless) };
  } catch (err) {
    await session.release();
    if (err instanceof ModelLoadError) throw err;
    throw new ModelLoadError(`model ${label}: cannot read its inputs and outputs: ${messageOf(err)}`, { cause: err });
  }
}

function specsOf(label: string, kind: "input" | "output", metadata: readonly ort.InferenceSession.ValueMetadata[], shapeless: Set<string>): TensorSpec[] {
  if (metadata.length > MAX_TENSORS) throw new ModelLoadError(`model ${label}: ${metadata.length} ${kind}s, the encoding carries at most ${MAX_TENSORS}`);
  const utf8 = new TextEncoder();
  return metadata.map((m) => {
    const nameBytes = utf8.encode(m.name).length;
    if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES) throw new ModelLoadError(`model ${label}: ${kind} "${m.name}" has a name of ${nameBytes} bytes, the encoding allows 1..${MAX_NAME_BYTES}`);
    if (!m.isTensor) throw new ModelLoadError(`model ${label}: ${kind} "${m.name}" is not a tensor`);
    const dtype = ORT_TO_DTYPE[m.type];
    if (!dtype) throw new ModelLoadError(`model ${label}: ${kind} "${m.name}" has dtype ${m.type}, supported are ${Object.keys(DTYPES).join(", ")}`);
    const shape = shapeless.has(m.name) ? null : m.shape.map((d): Dim => (typeof d === "number" && d >= 0 ? d : String(d) || "?"));
    return { name: m.name, dtype, shape };
  });
}

/** runtime/runner.ts `validate`: every input present, nothing extra, dtypes and ranks equal, fixed dimensions equal. */
function validate(label: string, specs: readonly TensorSpec[], tensors: Record<string, DecodedTensor>): void {
  const misfit = (tensor: string, message: string): never => {
    throw new InvalidInputError("inputDoesNotFitModel", `model ${label}: ${message}`, tensor);
  };
  const expected = specs.map((s) => s.name);
  for (const name of Object.keys(tensors)) {
    if (!specs.some((s) => s.name === name)) misfit(name, `input "${name}" is not an input of the model (it expects ${quoted(expected)})`);
  }
  for (const spec of specs) {
    const t = tensors[spec.name];
    if (!Object.hasOwn(tensors, spec.name)) misfit(spec.name, `input "${spec.name}" is missing (the model expects ${quoted(expected)})`);
    if (t.dtype !== spec.dtype) misfit(spec.name, `input "${spec.name}" has dtype ${t.dtype}, the model expects ${spec.dtype}`);
    if (spec.shape === null) continue;
    if (t.shape.length !== spec.shape.length) {
      misfit(spec.name, `input "${spec.name}" has rank ${t.shape.length} (shape ${showShape(t.shape)}), the model expects rank ${spec.shape.length} (shape ${showShape(spec.shape)})`);
    }
    spec.shape.forEach((d, i) => {
      if (typeof d === "number" && t.shape[i] !== d) {
        misfit(spec.name, `input "${spec.name}" has size ${t.shape[i]} in dimension ${i} (shape ${showShape(t.shape)}), the model expects ${d} (shape ${showShape(spec.shape ?? [])})`);
      }
    });
  }
}

/** A DecodedTensor as an onnxruntime-web tensor: each dtype's typed array as is, int64 as BigInt64Array, bool as 0/1 bytes. */
export function toOrt(t: DecodedTensor): ort.Tensor {
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

async function execute(
  label: string,
  session: ort.InferenceSession,
  inputs: readonly TensorSpec[],
  outputs: readonly TensorSpec[],
  tensors: Record<string, DecodedTensor>,
): Promise<Record<string, DecodedTensor>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const spec of inputs) feeds[spec.name] = toOrt(tensors[spec.name]);
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, { logSeverityLevel: 4 });
  } catch (err) {
    throw new InvalidInputError("modelFailed", `model ${label}: onnxruntime failed on this input: ${messageOf(err)}`);
  }
  const out: Record<string, DecodedTensor> = {};
  for (const spec of outputs) {
    const value = results[spec.name];
    const dtype = value ? ORT_TO_DTYPE[value.type] : undefined;
    if (!value || !dtype) throw new InvalidInputError("modelFailed", `model ${label}: output "${spec.name}" is missing or not a ${spec.dtype} tensor`);
    out[spec.name] = { dtype, shape: [...value.dims], data: typedCopy(dtype, value.data) };
  }
  return out;
}

function typedCopy(dtype: DType, data: ort.Tensor["data"]): DecodedTensor["data"] {
  if (dtype === "int64") {
    if (!(data instanceof BigInt64Array)) throw new TypeError(`int64 output data is a ${data.constructor.name}`);
    return BigInt64Array.from(data);
  }
  if (data instanceof BigInt64Array || data instanceof BigUint64Array || Array.isArray(data)) throw new TypeError(`${dtype} output data is a ${data.constructor.name}`);
  switch (dtype) {
    case "float32":
      return Float32Array.from(data as Float32Array);
    case "float64":
      return Float64Array.from(data as Float64Array);
    case "int32":
      return Int32Array.from(data as Int32Array);
    case "int8":
      return Int8Array.from(data as Int8Array);
    default:
      return Uint8Array.from(data as Uint8Array);
  }
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
