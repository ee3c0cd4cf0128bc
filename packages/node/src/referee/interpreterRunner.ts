/**
 * A refereed program run by the reference interpreter (interpreter.ts) behind the same surface as
 * onnxruntime's ModelRunner (runtime/canonicalRunner.ts): canonical bytes in, canonical bytes out,
 * the same input check (tensorFit.ts checkFit against the program's inputs, which are the ONNX
 * graph's inputs with the same dtypes and static shapes) and so the same InvalidInputError and
 * reason for an input that does not fit. Where no onnxruntime kernel saturates, its output bytes
 * are onnxruntime's; where one does, they are the rule's (the interpreter is the truth).
 *
 * No onnxruntime: browser-safe like the interpreter.
 */
import { MAX_NAME_BYTES, MAX_TENSORS, decodeTensors, encodeTensors, type DecodedTensor } from "../codec/tensor";
import { undecodableInput, type CanonicalRunner } from "../runtime/canonicalRunner";
import { InvalidInputError, ModelLoadError, checkFit, copySpec, type TensorSpec } from "../runtime/tensorFit";
import { ArithmeticDomainError } from "./arith";
import { runProgram } from "./interpreter";
import { ProgramError, validateProgram, type Program } from "./program";

const utf8 = new TextEncoder();

export class InterpreterRunner implements CanonicalRunner {
  readonly engine = "interpreter";
  private readonly inputs: readonly TensorSpec[];
  private readonly outputs: readonly TensorSpec[];

  private constructor(
    /** A name for messages and logs (the model id, a file name...). */
    readonly label: string,
    private readonly program: Program,
  ) {
    const decls = validateProgram(program);
    const specs = (kind: "input" | "output", names: readonly string[]): TensorSpec[] => {
      if (names.length > MAX_TENSORS) throw new ModelLoadError(label, `model ${label}: ${names.length} ${kind}s, the encoding carries at most ${MAX_TENSORS}`);
      return names.map((name) => {
        const bytes = utf8.encode(name).length;
        if (bytes === 0 || bytes > MAX_NAME_BYTES) throw new ModelLoadError(label, `model ${label}: ${kind} "${name}" has a name of ${bytes} bytes, the encoding allows 1..${MAX_NAME_BYTES}`);
        const decl = decls.get(name)!; // validateProgram checked that every input and output is declared
        return { name, dtype: decl.dtype, shape: [...decl.shape] };
      });
    };
    this.inputs = specs("input", program.inputs);
    this.outputs = specs("output", program.outputs);
  }

  /**
   * A runner for `program` (validated here). Throws ModelLoadError when its inputs or outputs
   * cannot be carried by the canonical encoding (as ModelRunner.load does), ProgramError when the
   * program is malformed.
   */
  static of(program: Program, label: string): InterpreterRunner {
    return new InterpreterRunner(label, program);
  }

  inputSpec(): TensorSpec[] {
    return this.inputs.map(copySpec);
  }

  outputSpec(): TensorSpec[] {
    return this.outputs.map(copySpec);
  }

  async runCanonical(inputBytes: Uint8Array): Promise<Uint8Array> {
    let tensors: Record<string, DecodedTensor>;
    try {
      tensors = decodeTensors(inputBytes);
    } catch (err) {
      throw undecodableInput(this.label, err);
    }
    checkFit(this.label, this.inputs, tensors);
    const values: Record<string, ArrayLike<number>> = {};
    for (const spec of this.inputs) {
      const data = tensors[spec.name].data;
      // checkFit matched the dtype to the program's (uint8, int8, int32 or float32), so never int64.
      if (data instanceof BigInt64Array) throw new InvalidInputError("inputDoesNotFitModel", `model ${this.label}: input "${spec.name}" is int64`, spec.name);
      values[spec.name] = data;
    }
    let outputs: ReturnType<typeof runProgram>["outputs"];
    try {
      outputs = runProgram(this.program, values).outputs;
    } catch (err) {
      // The rule refuses what onnxruntime would compute otherwise: an accumulator past int32, a NaN input.
      if (err instanceof ArithmeticDomainError || err instanceof ProgramError) {
        throw new InvalidInputError("modelFailed", `model ${this.label}: the reference interpreter refuses this input: ${err.message}`);
      }
      throw err;
    }
    const out: Record<string, DecodedTensor> = {};
    for (const spec of this.outputs) {
      const t = outputs.get(spec.name)!;
      out[spec.name] = { dtype: t.dtype, shape: [...t.shape], data: t.data };
    }
    try {
      return encodeTensors(out);
    } catch (err) {
      throw new InvalidInputError("modelFailed", `model ${this.label}: its output cannot be encoded: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Nothing to free (the program is plain data). */
  async release(): Promise<void> {}
}
