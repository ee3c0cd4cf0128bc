/**
 * Producing a refereed trace with onnxruntime (issue 15): the executor needs every intermediate
 * tensor of its run, not only the output. onnxruntime returns the tensors a graph lists as outputs,
 * so a copy of the model lists every step's output as a graph output too. No kernel changes (the
 * node's sessions run with graph optimizations off), so the values are those of the plain run.
 * Node- and browser-safe (onnx-proto only); the caller brings onnxruntime.
 */
import { onnx } from "onnx-proto";
import { compileOnnx } from "./compile";
import type { Program, ProgramDType } from "./program";

const T = onnx.TensorProto.DataType;
const ELEM_TYPE: Record<ProgramDType, number> = { uint8: T.UINT8, int8: T.INT8, int32: T.INT32, float32: T.FLOAT };

/** The tensors a trace holds after the input: each step's output, in step order (the last is the program's output). */
export function traceTensorNames(program: Program): string[] {
  return program.ops.map((op) => op.output);
}

/**
 * A copy of `model` (ONNX bytes) whose graph outputs are also `names` (by default every step's
 * output of its program, in step order; a refereed trace needs only the tensors lowerProgram
 * commits), with their static types and shapes. `program` defaults to `compileOnnx(model)`.
 */
export function withTraceOutputs(model: Uint8Array, program: Program = compileOnnx(onnx.ModelProto.decode(model)), names: readonly string[] = traceTensorNames(program)): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  graph.output ??= [];
  const decls = new Map(program.tensors.map((t) => [t.name, t]));
  const outputs = graph.output;
  const existing = new Set(outputs.map((o) => o.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    const t = decls.get(name)!;
    outputs.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: ELEM_TYPE[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } } }));
  }
  return onnx.ModelProto.encode(proto).finish();
}
