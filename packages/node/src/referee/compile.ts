/**
 * Compiles a quantized ONNX model (an onnx-proto ModelProto written with the explicit integer
 * operators of the default domain) into a refereed program (program.ts). The program, not the
 * ONNX file, is what a dispute settles on: every scale becomes stored float32 bits (for
 * QLinearMatMul and QLinearConv the combined `f32(f32(x_scale * w_scale[c]) / y_scale)` that
 * onnxruntime computes), every zero point an integer, every shape static.
 *
 * Supported: QuantizeLinear, DequantizeLinear (per-tensor), QLinearMatMul (2-D, per-tensor or
 * per-column B), QLinearConv (2-D, group 1, dilation 1, per-tensor or per-channel W, optional int32
 * bias), MaxPool (2-D, no dilation, no ceil_mode, pads smaller than the kernel), Reshape (constant
 * shape), and Relu in the QDQ pattern DequantizeLinear -> Relu -> QuantizeLinear with one scale and
 * zero point, which becomes the integer Relu after checking, for all 256 inputs, that the float
 * path gives max(x, zero point). Scales and zero points must be initializers; graph inputs need
 * static shapes. Anything else is refused with a CompileError naming the node.
 *
 * Left for later: QLinearAdd/QLinearMul/QLinearSigmoid (com.microsoft) into QLinearAdd and Table,
 * Flatten, Gemm-style bias folding, opset differences before 13 (axis attributes of per-axis
 * Quantize/DequantizeLinear).
 */
import { onnx } from "onnx-proto";
import { dequantizeValue, f32, float32Bits, quantizeValue, QUANT_RANGE, type QuantDType } from "./arith";
import { elementCount, validateProgram, windowOut, type ConstantDecl, type Program, type ProgramDType, type ProgramOp, type TensorDecl } from "./program";

export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CompileError";
  }
}

const T = onnx.TensorProto.DataType;
const DTYPE_OF: Partial<Record<number, ProgramDType>> = { [T.UINT8]: "uint8", [T.INT8]: "int8", [T.INT32]: "int32", [T.FLOAT]: "float32" };

interface Init {
  dtype: ProgramDType | "int64";
  dims: number[];
  values: number[];
}

/** An initializer's values (raw_data little-endian, or the typed fields). */
function readInitializer(t: onnx.ITensorProto): Init {
  const dims = (t.dims ?? []).map(Number);
  const n = elementCount(dims);
  const dtype: ProgramDType | "int64" | undefined = t.dataType === T.INT64 ? "int64" : DTYPE_OF[t.dataType ?? 0];
  if (!dtype) throw new CompileError(`initializer "${t.name}": unsupported data type ${t.dataType}`);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  let values: number[];
  if (raw) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const size = { uint8: 1, int8: 1, int32: 4, float32: 4, int64: 8 }[dtype];
    if (raw.byteLength !== n * size) throw new CompileError(`initializer "${t.name}": ${raw.byteLength} bytes for ${n} values`);
    values = Array.from({ length: n }, (_, i) => {
      switch (dtype) {
        case "uint8":
          return view.getUint8(i);
        case "int8":
          return view.getInt8(i);
        case "int32":
          return view.getInt32(i * 4, true);
        case "float32":
          return view.getFloat32(i * 4, true);
        case "int64":
          return Number(view.getBigInt64(i * 8, true));
      }
    });
  } else if (dtype === "float32") values = (t.floatData ?? []).map(Number);
  else if (dtype === "int64") values = (t.int64Data ?? []).map(Number);
  else values = (t.int32Data ?? []).map(Number); // uint8, int8 and int32 all live in int32_data
  if (values.length !== n) throw new CompileError(`initializer "${t.name}": ${values.length} values for dims [${dims.join(", ")}]`);
  return { dtype, dims, values };
}

function intsAttr(node: onnx.INodeProto, name: string): number[] | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a ? (a.ints ?? []).map(Number) : undefined;
}

function intAttr(node: onnx.INodeProto, name: string): number | undefined {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  return a ? Number(a.i) : undefined;
}

/** Compiles `model` (its graph must be in topological order, as ONNX requires). */
export function compileOnnx(model: onnx.IModelProto): Program {
  const graph = model.graph;
  if (!graph) throw new CompileError("the model has no graph");
  const inits = new Map<string, Init>();
  for (const t of graph.initializer ?? []) inits.set(t.name ?? "", readInitializer(t));

  const tensors = new Map<string, TensorDecl>();
  const constants: ConstantDecl[] = [];
  const usedConstants = new Set<string>();
  const ops: ProgramOp[] = [];
  const inputs: string[] = [];

  for (const vi of graph.input ?? []) {
    const name = vi.name ?? "";
    if (inits.has(name)) continue; // old-style models list initializers as inputs too
    const tt = vi.type?.tensorType;
    const dtype = DTYPE_OF[tt?.elemType ?? 0];
    if (!dtype) throw new CompileError(`input "${name}": unsupported element type`);
    const shape = (tt?.shape?.dim ?? []).map((d) => {
      if (d.dimValue === undefined || d.dimValue === null || d.dimParam) throw new CompileError(`input "${name}": dimensions must be static`);
      return Number(d.dimValue);
    });
    tensors.set(name, { name, dtype, shape });
    inputs.push(name);
  }

  const init = (node: onnx.INodeProto, index: number, what: string): Init => {
    const name = node.input?.[index] ?? "";
    const v = inits.get(name);
    if (!v) throw new CompileError(`${node.opType} "${node.name}": ${what} ("${name}") must be an initializer`);
    return v;
  };
  const scalar = (node: onnx.INodeProto, index: number, what: string): number => {
    const v = init(node, index, what);
    if (v.values.length !== 1) throw new CompileError(`${node.opType} "${node.name}": ${what} must be a single value`);
    return v.values[0];
  };
  const optionalZp = (node: onnx.INodeProto, index: number): number => (node.input?.[index] ? scalar(node, index, "the zero point") : 0);
  const tensor = (name: string, node: onnx.INodeProto): TensorDecl => {
    const t = tensors.get(name);
    if (t) return t;
    const c = inits.get(name);
    if (c && c.dtype !== "int64") {
      if (!usedConstants.has(name)) {
        usedConstants.add(name);
        const data = c.dtype === "float32" ? c.values.map(float32Bits) : c.values;
        constants.push({ name, dtype: c.dtype, shape: c.dims, data });
      }
      return { name, dtype: c.dtype, shape: c.dims };
    }
    throw new CompileError(`${node.opType} "${node.name}": input "${name}" is not defined`);
  };
  const define = (name: string, dtype: ProgramDType, shape: number[]) => tensors.set(name, { name, dtype, shape });
  const quant = (t: TensorDecl, node: onnx.INodeProto): QuantDType => {
    if (t.dtype !== "uint8" && t.dtype !== "int8") throw new CompileError(`${node.opType} "${node.name}": "${t.name}" must be uint8 or int8`);
    return t.dtype;
  };

  // Consumers of each tensor, to recognise the QDQ Relu pattern.
  const consumers = new Map<string, onnx.INodeProto[]>();
  for (const node of graph.node ?? []) for (const i of node.input ?? []) consumers.set(i, [...(consumers.get(i) ?? []), node]);
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  const skip = new Set<onnx.INodeProto>();

  for (const node of graph.node ?? []) {
    if (skip.has(node)) continue;
    if (node.domain && node.domain !== "ai.onnx") throw new CompileError(`${node.opType} "${node.name}": domain "${node.domain}" is not supported`);
    const ins = node.input ?? [];
    const out = node.output?.[0] ?? "";
    switch (node.opType) {
      case "DequantizeLinear": {
        const x = tensor(ins[0], node);
        const dtype = quant(x, node);
        const scale = scalar(node, 1, "the scale");
        const zp = optionalZp(node, 2);
        // DequantizeLinear -> Relu -> QuantizeLinear with the same scale and zero point is an integer Relu.
        const relu = consumers.get(out)?.length === 1 && !graphOutputs.has(out) ? consumers.get(out)![0] : undefined;
        const requant = relu?.opType === "Relu" && consumers.get(relu.output?.[0] ?? "")?.length === 1 && !graphOutputs.has(relu.output?.[0] ?? "") ? consumers.get(relu.output![0])![0] : undefined;
        if (relu && requant?.opType === "QuantizeLinear" && scalar(requant, 1, "the scale") === scale && optionalZp(requant, 2) === zp && reluIsExact(float32Bits(scale), zp, dtype)) {
          const y = requant.output?.[0] ?? "";
          define(y, dtype, [...x.shape]);
          ops.push({ op: "Relu", input: x.name, output: y, zeroPoint: zp });
          skip.add(relu).add(requant);
          break;
        }
        define(out, "float32", [...x.shape]);
        ops.push({ op: "DequantizeLinear", input: x.name, output: out, scaleBits: float32Bits(scale), zeroPoint: zp });
        break;
      }
      case "QuantizeLinear": {
        const x = tensor(ins[0], node);
        if (x.dtype !== "float32") throw new CompileError(`QuantizeLinear "${node.name}": input must be float32`);
        const zpInit = ins[2] ? init(node, 2, "the zero point") : undefined;
        const dtype = (zpInit?.dtype ?? "uint8") as QuantDType;
        if (dtype !== "uint8" && dtype !== "int8") throw new CompileError(`QuantizeLinear "${node.name}": output type ${dtype} is not supported`);
        define(out, dtype, [...x.shape]);
        ops.push({ op: "QuantizeLinear", input: x.name, output: out, scaleBits: float32Bits(scalar(node, 1, "the scale")), zeroPoint: optionalZp(node, 2) });
        break;
      }
      case "QLinearMatMul": {
        const a = tensor(ins[0], node);
        const b = tensor(ins[3], node);
        quant(a, node);
        quant(b, node);
        if (a.shape.length !== 2 || b.shape.length !== 2) throw new CompileError(`QLinearMatMul "${node.name}": only 2-D operands are supported`);
        const aScale = scalar(node, 1, "a_scale");
        const bScales = init(node, 4, "b_scale").values;
        const yScale = scalar(node, 6, "y_scale");
        const yZp = init(node, 7, "y_zero_point");
        define(out, yZp.dtype as ProgramDType, [a.shape[0], b.shape[1]]);
        ops.push({
          op: "QLinearMatMul",
          a: a.name,
          b: b.name,
          output: out,
          aZeroPoint: scalar(node, 2, "a_zero_point"),
          bZeroPoints: init(node, 5, "b_zero_point").values,
          scaleBits: bScales.map((s) => combinedScaleBits(aScale, s, yScale)),
          outZeroPoint: yZp.values[0],
        });
        break;
      }
      case "QLinearConv": {
        const x = tensor(ins[0], node);
        const w = tensor(ins[3], node);
        quant(x, node);
        quant(w, node);
        if (x.shape.length !== 4 || w.shape.length !== 4) throw new CompileError(`QLinearConv "${node.name}": only 2-D convolutions (NCHW) are supported`);
        if ((intAttr(node, "group") ?? 1) !== 1) throw new CompileError(`QLinearConv "${node.name}": group must be 1`);
        if ((intsAttr(node, "dilations") ?? [1, 1]).some((d) => d !== 1)) throw new CompileError(`QLinearConv "${node.name}": dilations must be 1`);
        const autoPad = (node.attribute ?? []).find((a) => a.name === "auto_pad");
        if (autoPad && new TextDecoder().decode(autoPad.s ?? new Uint8Array()) !== "NOTSET") throw new CompileError(`QLinearConv "${node.name}": auto_pad is not supported`);
        const strides = (intsAttr(node, "strides") ?? [1, 1]) as [number, number];
        const pads = (intsAttr(node, "pads") ?? [0, 0, 0, 0]) as [number, number, number, number];
        const xScale = scalar(node, 1, "x_scale");
        const yScale = scalar(node, 6, "y_scale");
        const yZp = init(node, 7, "y_zero_point");
        const [n, , h, wd] = x.shape;
        const [m, , kh, kw] = w.shape;
        const bias = ins[8] ? tensor(ins[8], node) : undefined;
        define(out, yZp.dtype as ProgramDType, [n, m, windowOut(h, kh, strides[0], pads[0], pads[2]), windowOut(wd, kw, strides[1], pads[1], pads[3])]);
        ops.push({
          op: "QLinearConv",
          x: x.name,
          w: w.name,
          bias: bias?.name,
          output: out,
          xZeroPoint: scalar(node, 2, "x_zero_point"),
          wZeroPoints: init(node, 5, "w_zero_point").values,
          scaleBits: init(node, 4, "w_scale").values.map((s) => combinedScaleBits(xScale, s, yScale)),
          outZeroPoint: yZp.values[0],
          strides,
          pads,
        });
        break;
      }
      case "MaxPool": {
        const x = tensor(ins[0], node);
        quant(x, node);
        if (x.shape.length !== 4) throw new CompileError(`MaxPool "${node.name}": only 2-D pooling (NCHW) is supported`);
        if ((node.output ?? []).length > 1) throw new CompileError(`MaxPool "${node.name}": the Indices output is not supported`);
        if ((intAttr(node, "ceil_mode") ?? 0) !== 0 || (intsAttr(node, "dilations") ?? [1, 1]).some((d) => d !== 1)) throw new CompileError(`MaxPool "${node.name}": ceil_mode and dilations are not supported`);
        const kernel = intsAttr(node, "kernel_shape") as [number, number] | undefined;
        if (!kernel || kernel.length !== 2) throw new CompileError(`MaxPool "${node.name}": needs a 2-D kernel_shape`);
        const strides = (intsAttr(node, "strides") ?? [1, 1]) as [number, number];
        const pads = (intsAttr(node, "pads") ?? [0, 0, 0, 0]) as [number, number, number, number];
        define(out, x.dtype, [x.shape[0], x.shape[1], windowOut(x.shape[2], kernel[0], strides[0], pads[0], pads[2]), windowOut(x.shape[3], kernel[1], strides[1], pads[1], pads[3])]);
        ops.push({ op: "MaxPool", input: x.name, output: out, kernel, strides, pads });
        break;
      }
      case "Reshape": {
        const x = tensor(ins[0], node);
        const target = init(node, 1, "the shape").values;
        const known = target.reduce((p, d, i) => p * (d === -1 ? 1 : d === 0 ? x.shape[i] : d), 1);
        const shape = target.map((d, i) => (d === -1 ? elementCount(x.shape) / known : d === 0 ? x.shape[i] : d));
        define(out, x.dtype, shape);
        ops.push({ op: "Reshape", input: x.name, output: out });
        break;
      }
      default:
        throw new CompileError(`${node.opType} "${node.name}": operator not supported by the referee`);
    }
  }
  const outputs = (graph.output ?? []).map((o) => o.name ?? "");
  const program: Program = {
    version: 1,
    inputs,
    outputs,
    tensors: [...tensors.values()],
    constants,
    ops,
  };
  validateProgram(program);
  return program;
}

/** The scale onnxruntime's QLinearMatMul/QLinearConv requantize with: f32(f32(x_scale * w_scale) / y_scale). */
export function combinedScaleBits(xScale: number, wScale: number, yScale: number): number {
  return float32Bits(f32(f32(f32(xScale) * f32(wScale)) / f32(yScale)));
}

/** Whether Quantize(Relu(Dequantize(x))) equals max(x, zp) for all 256 values (false when, e.g., 255 * s overflows float32). */
function reluIsExact(scaleBits: number, zp: number, dtype: QuantDType): boolean {
  for (let x = QUANT_RANGE[dtype].min; x <= QUANT_RANGE[dtype].max; x++) {
    if (quantizeValue(Math.max(0, dequantizeValue(x, scaleBits, zp)), scaleBits, zp, dtype) !== Math.max(x, zp)) return false;
  }
  return true;
}
