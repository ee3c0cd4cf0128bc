/**
 * Whether a decoded input fits a model's declared inputs, and the typed errors (with the reason
 * code the chain records) for every way it does not. Shared by the node's runner
 * (runtime/runner.ts, onnxruntime-node) and the explorer's in-browser verifier
 * (web/src/ortRunner.ts, onnxruntime-web) through runtime/ortModel.ts: the browser must refuse
 * exactly the inputs a verifier node refuses, with the same reason, so there is one copy of the
 * rule. Browser-safe: it imports nothing but types.
 */
import type { DType, DecodedTensor } from "../codec/tensor";
import type { InvalidReason } from "../sdk/enums";

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
 * Throws InvalidInputError("inputDoesNotFitModel") naming the first misfit of `tensors` to the
 * model `label`'s inputs `specs`: every input present, nothing extra, dtypes and ranks equal,
 * fixed dimensions equal (a named or unnamed dynamic dimension takes any size; a spec without a
 * shape takes any rank).
 */
export function checkFit(label: string, specs: readonly TensorSpec[], tensors: Record<string, DecodedTensor>): void {
  const misfit = (tensor: string, message: string): never => {
    throw new InvalidInputError("inputDoesNotFitModel", `model ${label}: ${message}`, tensor);
  };
  const expected = specs.map((s) => s.name);
  for (const name of Object.keys(tensors)) {
    if (!specs.some((s) => s.name === name)) {
      misfit(name, `input "${name}" is not an input of the model (it expects ${quoted(expected)})`);
    }
  }
  for (const spec of specs) {
    const t = tensors[spec.name];
    if (!Object.hasOwn(tensors, spec.name)) misfit(spec.name, `input "${spec.name}" is missing (the model expects ${quoted(expected)})`);
    if (t.dtype !== spec.dtype) misfit(spec.name, `input "${spec.name}" has dtype ${t.dtype}, the model expects ${spec.dtype}`);
    if (spec.shape === null) continue;
    if (t.shape.length !== spec.shape.length) {
      misfit(
        spec.name,
        `input "${spec.name}" has rank ${t.shape.length} (shape ${showShape(t.shape)}), the model expects rank ${spec.shape.length} (shape ${showShape(spec.shape)})`,
      );
    }
    spec.shape.forEach((d, i) => {
      if (typeof d === "number" && t.shape[i] !== d) {
        misfit(
          spec.name,
          `input "${spec.name}" has size ${t.shape[i]} in dimension ${i} (shape ${showShape(t.shape)}), the model expects ${d} (shape ${showShape(spec.shape ?? [])})`,
        );
      }
    });
  }
}

/** A copy the caller may change without changing the runner's own spec. */
export function copySpec(s: TensorSpec): TensorSpec {
  return { name: s.name, dtype: s.dtype, shape: s.shape && [...s.shape] };
}

function showShape(shape: readonly Dim[]): string {
  return `[${shape.join(", ")}]`;
}

function quoted(names: readonly string[]): string {
  return names.length === 0 ? "no inputs" : names.map((n) => `"${n}"`).join(", ");
}
