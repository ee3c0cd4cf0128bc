/**
 * `glassbox referee inspect <model.onnx>` and `glassbox referee zoo <name> --out <file>`: what a node
 * does before it opts in to a refereeable model (issue 15), offline. `inspect` compiles the ONNX
 * file into its refereed program and steps (the node's own compiler, not the registrant's word) and
 * prints the program hash and the steps hash that a registration must commit to, with each step's
 * operator and output shape; a model that cannot be refereed is refused with the reason.
 * `zoo` writes one of the built-in refereeable models (a 1.86M-parameter MLP, a 1.23M-parameter
 * CNN), so that a devnet or a test can register one.
 */
import fs from "node:fs";
import { onnx } from "onnx-proto";
import { CliError } from "./cliError";
import { CompileError, compileOnnx } from "./referee/compile";
import { ProgramError, programHash } from "./referee/program";
import { lowerProgram, NotRefereeableError } from "./referee/steps";
import { refereeCnn, refereeMlp, type ZooModel } from "./referee/zoo";

/** What `inspect` prints (JSON). */
export interface RefereeInspection {
  readonly refereeable: true;
  readonly programHash: string;
  readonly stepsHash: string;
  /** Weights and biases of the program's constants. */
  readonly params: number;
  readonly input: { readonly name: string; readonly dtype: string; readonly shape: readonly number[] };
  readonly output: { readonly name: string; readonly dtype: string; readonly shape: readonly number[] };
  readonly steps: readonly { readonly op: string; readonly fusedRelu: boolean; readonly output: string; readonly shape: readonly number[]; readonly descHash: string }[];
}

export const ZOO: Readonly<Record<string, () => ZooModel>> = { mlp: refereeMlp, cnn: refereeCnn };

/** Compiles and lowers ONNX bytes; a model that cannot be refereed is a CliError saying why. */
export function inspectRefereeModel(bytes: Uint8Array, what: string): RefereeInspection {
  let decoded: onnx.ModelProto;
  try {
    decoded = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new CliError(`${what} is not an ONNX model (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const program = compileOnnx(decoded);
    const rp = lowerProgram(program);
    const io = (t: { name: string; dtype: string; shape: readonly number[] }) => ({ name: t.name, dtype: t.dtype, shape: t.shape });
    return {
      refereeable: true,
      programHash: programHash(program),
      stepsHash: rp.stepsHash,
      params: program.constants.filter((c) => c.dtype !== "float32").reduce((n, c) => n + c.data.length, 0),
      input: io(rp.tensors[0]),
      output: io(rp.tensors[rp.tensors.length - 1]),
      steps: rp.steps.map((s, i) => ({ op: s.op.op, fusedRelu: s.fusedRelu !== undefined, output: rp.tensors[i + 1].name, shape: rp.tensors[i + 1].shape, descHash: s.descHash })),
    };
  } catch (err) {
    if (err instanceof CompileError || err instanceof ProgramError || err instanceof NotRefereeableError) {
      throw new CliError(`${what} cannot be refereed: ${err.message} (a refereeable model is built from explicit integer operators; see docs/REFEREE.md)`);
    }
    throw err;
  }
}

export function inspectCommand(file: string, out: (text: string) => void): void {
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  out(`${JSON.stringify(inspectRefereeModel(bytes, file), null, 2)}\n`);
}

export function zooCommand(name: string, file: string | undefined, out: (text: string) => void): void {
  const make = ZOO[name];
  if (!make) throw new CliError(`unknown zoo model "${name}": choose ${Object.keys(ZOO).join(" or ")}`);
  if (!file) throw new CliError("--out <file> is required: where to write the ONNX model");
  const model = make();
  fs.writeFileSync(file, model.onnx);
  out(`${JSON.stringify({ name: model.name, file, bytes: model.onnx.length, params: model.params, input: { name: model.inputName, dtype: model.inputDType, shape: model.inputShape } })}\n`);
}
