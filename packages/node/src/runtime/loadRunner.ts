/**
 * Loads a model for JobBook with the engine referee/engine.ts chooses: a model whose ONNX compiles
 * to a refereed program (compileOnnx, which ends with validateProgram) runs on onnxruntime only when
 * the node's start-up self-test passed and its int8 weights cannot saturate; otherwise on the
 * reference interpreter (InterpreterRunner). A model that does not compile stays on onnxruntime.
 * Node-only (ModelRunner loads onnxruntime-node).
 */
import { onnx } from "onnx-proto";
import { compileOnnx } from "../referee/compile";
import { chooseEngine, int8Operands, type EngineChoice } from "../referee/engine";
import { InterpreterRunner } from "../referee/interpreterRunner";
import type { Program } from "../referee/program";
import type { CanonicalRunner } from "./canonicalRunner";
import { messageOf } from "./ortModel";
import { ModelRunner } from "./runner";

export interface EngineGate {
  /** Whether this node's start-up self-test (referee/selfTest.ts) passed. */
  readonly selfTestPassed: boolean;
}

export interface LoadedRunner {
  readonly runner: CanonicalRunner;
  readonly choice: EngineChoice;
  /** Why the model is not a refereed program (compileOnnx's or the decoder's message), when it is not. */
  readonly notAProgram?: string;
}

/** The model's refereed program, or why it has none. */
export function programOf(bytes: Uint8Array): { program: Program } | { notAProgram: string } {
  try {
    return { program: compileOnnx(onnx.ModelProto.decode(bytes)) };
  } catch (err) {
    // A CompileError or ProgramError, or bytes that are not an ONNX model: not refereed either way
    // (onnxruntime then says whether it can load them).
    return { notAProgram: messageOf(err) };
  }
}

/**
 * Loads `bytes` as model `label` on the engine `gate` allows. Throws ModelLoadError when the
 * chosen engine cannot load it (as ModelRunner.load does).
 */
export async function loadRunner(bytes: Uint8Array, label: string, gate: EngineGate): Promise<LoadedRunner> {
  const compiled = programOf(bytes);
  const program = "program" in compiled ? compiled.program : undefined;
  const choice = chooseEngine({ compiled: program !== undefined, selfTestPassed: gate.selfTestPassed, operands: program ? int8Operands(program) : [] });
  const runner = choice.engine === "interpreter" && program ? InterpreterRunner.of(program, label) : await ModelRunner.load(bytes, label);
  return "notAProgram" in compiled ? { runner, choice, notAProgram: compiled.notAProgram } : { runner, choice };
}
