/**
 * Which engine computes a loaded model (issue 15: "the interpreter is the truth"). onnxruntime's
 * integer kernels depend on the CPU: on x86 with AVX2 but without VNNI, a uint8 x int8 product pair
 * is summed into an int16 that saturates (selfTest.ts). So a model that compiles to a refereed
 * program runs on onnxruntime only when both hold:
 *  - the node's start-up self-test (selfTest.ts, saturating vectors) passed on this CPU, and
 *  - every int8 operand of every QLinearMatMul and QLinearConv is a constant (a weight) whose
 *    values are within `weightsCannotSaturate` (|w| <= 64). An int8 operand computed at run time
 *    can hold any int8 value, so it is never known to be within the range.
 * Otherwise the reference interpreter computes it. A model that does not compile to a program (a
 * float model, an operator the referee does not support) is not refereed and stays on onnxruntime.
 *
 * Pure and browser-safe: no onnxruntime, no I/O; the decision is a function of three facts.
 */
import type { Program } from "./program";

export type Engine = "onnxruntime" | "interpreter";

/**
 * Why the engine was chosen:
 *  - "notAProgram": the model does not compile to a refereed program (onnxruntime, as before);
 *  - "selfTestFailed": the start-up self-test did not pass on this CPU (interpreter);
 *  - "operandNotConstant": an int8 operand of a QLinearMatMul/QLinearConv is computed at run time (interpreter);
 *  - "weightsMaySaturate": an int8 weight holds a value outside [-64, 64] (interpreter);
 *  - "cannotSaturate": self-test passed and every int8 weight is within [-64, 64] (onnxruntime).
 */
export type EngineReason = "notAProgram" | "selfTestFailed" | "operandNotConstant" | "weightsMaySaturate" | "cannotSaturate";

export interface EngineChoice {
  readonly engine: Engine;
  readonly reason: EngineReason;
  /** The operand at fault, for "operandNotConstant" and "weightsMaySaturate". */
  readonly operand?: string;
}

/** One int8 operand of a QLinearMatMul or QLinearConv: its values when it is a constant, none when it is computed. */
export interface Int8Operand {
  /** The operand's tensor name. */
  readonly name: string;
  /** The output of the operator it feeds (names the operator). */
  readonly op: string;
  /** The constant's values; undefined for a tensor computed at run time (a graph input, an earlier operator's output). */
  readonly values?: ArrayLike<number>;
}

export interface EngineFacts {
  /** Whether the model compiled to a refereed program (compileOnnx and validateProgram passed). */
  readonly compiled: boolean;
  /** Whether this node's start-up self-test passed. */
  readonly selfTestPassed: boolean;
  /** The int8 operands of the program's QLinearMatMul and QLinearConv operators (`int8Operands`); ignored when not compiled. */
  readonly operands: readonly Int8Operand[];
}

/** The engine for a model, and why (the table at the top of this file). */
export function chooseEngine(facts: EngineFacts): EngineChoice {
  if (!facts.compiled) return { engine: "onnxruntime", reason: "notAProgram" };
  if (!facts.selfTestPassed) return { engine: "interpreter", reason: "selfTestFailed" };
  for (const operand of facts.operands) {
    if (operand.values === undefined) return { engine: "interpreter", reason: "operandNotConstant", operand: operand.name };
    if (!weightsCannotSaturate(operand.values)) return { engine: "interpreter", reason: "weightsMaySaturate", operand: operand.name };
  }
  return { engine: "onnxruntime", reason: "cannotSaturate" };
}

/**
 * Every int8 operand of the program's QLinearMatMul (A and B) and QLinearConv (X and W), with its
 * values when it is a constant. A uint8 operand is not listed: only uint8 x int8 pairs saturate.
 */
export function int8Operands(program: Program): Int8Operand[] {
  const dtypes = new Map(program.tensors.map((t) => [t.name, t.dtype]));
  const constants = new Map(program.constants.map((c) => [c.name, c]));
  for (const c of program.constants) dtypes.set(c.name, c.dtype);
  const found: Int8Operand[] = [];
  for (const op of program.ops) {
    const names = op.op === "QLinearMatMul" ? [op.a, op.b] : op.op === "QLinearConv" ? [op.x, op.w] : [];
    for (const name of names) {
      if (dtypes.get(name) !== "int8") continue;
      const constant = constants.get(name);
      found.push(constant ? { name, op: op.output, values: constant.data } : { name, op: op.output });
    }
  }
  return found;
}

/**
 * Whether int8 weights are in the range where `vpmaddubsw` cannot saturate whatever the uint8
 * activations: |w| <= 64 gives |255 * w0 + 255 * w1| <= 32640 < 32767 for any pair (the
 * "reduce_range" 7-bit weights). Outside it, only a CPU that passed selfTest may use onnxruntime.
 */
export function weightsCannotSaturate(weights: ArrayLike<number>): boolean {
  for (let i = 0; i < weights.length; i++) if (weights[i] < -64 || weights[i] > 64) return false;
  return true;
}
