/**
 * The reference interpreter of refereed programs (issue 15): THE truth a dispute settles on. It
 * runs a validated program on its inputs, integer-exact, calling arith.ts for every rounding, and
 * returns the outputs and, on request, every intermediate tensor (the trace a bisection game over
 * operators and elements needs). Plain loops over typed arrays, no dependencies: Node and browser safe.
 * Speed is not a goal; matching the written rule element for element is.
 */
import { ArithmeticDomainError, clampTo, dequantizeValue, float32FromBits, isInt32, quantizeValue, requantize, QUANT_RANGE, type QuantDType } from "./arith";
import { elementCount, ProgramError, validateProgram, type Program, type ProgramDType, type ProgramOp, type TensorDecl } from "./program";

export type TensorData = Float32Array | Uint8Array | Int8Array | Int32Array;

/** A tensor's values in row-major order; float32 tensors hold floats (not bits). */
export interface ProgramTensor {
  readonly dtype: ProgramDType;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

export interface RunResult {
  /** The program's outputs, by name. */
  readonly outputs: Map<string, ProgramTensor>;
  /** Every tensor (constants, inputs, each operator's output) when `trace` was asked for; otherwise empty. */
  readonly trace: Map<string, ProgramTensor>;
}

function allocate(dtype: ProgramDType, n: number): TensorData {
  switch (dtype) {
    case "float32":
      return new Float32Array(n);
    case "uint8":
      return new Uint8Array(n);
    case "int8":
      return new Int8Array(n);
    case "int32":
      return new Int32Array(n);
  }
}

/** Copies values into a fresh typed array of `decl`'s dtype, refusing any that the type cannot hold exactly. */
function load(decl: TensorDecl, values: ArrayLike<number>, what: string): ProgramTensor {
  const n = elementCount(decl.shape);
  if (values.length !== n) throw new ProgramError(`${what} "${decl.name}": ${values.length} values for shape [${decl.shape.join(", ")}]`);
  const data = allocate(decl.dtype, n);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    data[i] = v;
    if (decl.dtype === "float32" ? Number.isNaN(v) || Math.fround(v) !== v : data[i] !== v) {
      throw new ProgramError(`${what} "${decl.name}"[${i}] = ${v} is not a ${decl.dtype}`);
    }
  }
  return { dtype: decl.dtype, shape: decl.shape, data };
}

/**
 * Runs `program` on `inputs` (one array of values per graph input; float32 inputs as floats that
 * are exactly float32). Throws ProgramError for a malformed program or input, and
 * ArithmeticDomainError when an accumulator leaves int32 (onnxruntime would wrap; the rule refuses).
 */
export function runProgram(program: Program, inputs: Readonly<Record<string, ArrayLike<number>>>, options: { trace?: boolean } = {}): RunResult {
  const decls = validateProgram(program);
  const env = new Map<string, ProgramTensor>();
  for (const c of program.constants) {
    const values = c.dtype === "float32" ? c.data.map(float32FromBits) : c.data;
    env.set(c.name, load(c, values, "constant"));
  }
  for (const name of program.inputs) {
    const values = inputs[name];
    if (values === undefined) throw new ProgramError(`input "${name}" is missing`);
    env.set(name, load(decls.get(name)!, values, "input"));
  }
  for (const name of Object.keys(inputs)) if (!program.inputs.includes(name)) throw new ProgramError(`"${name}" is not an input of the program`);

  for (const op of program.ops) {
    const outName = op.output;
    const decl = decls.get(outName)!;
    env.set(outName, { dtype: decl.dtype, shape: decl.shape, data: runOp(op, env, decl) });
  }
  const outputs = new Map(program.outputs.map((name) => [name, env.get(name)!]));
  return { outputs, trace: options.trace ? env : new Map() };
}

/** The channel's entry of a list that holds one value, or one per channel. */
const pick = (list: readonly number[], c: number) => (list.length === 1 ? list[0] : list[c]);

function runOp(op: ProgramOp, env: Map<string, ProgramTensor>, out: TensorDecl): TensorData {
  const y = allocate(out.dtype, elementCount(out.shape));
  const yType = out.dtype as QuantDType; // every op below with a quantized output checked this in validateProgram
  switch (op.op) {
    case "QuantizeLinear": {
      const x = env.get(op.input)!.data;
      for (let i = 0; i < x.length; i++) y[i] = quantizeValue(x[i], op.scaleBits, op.zeroPoint, yType);
      return y;
    }
    case "DequantizeLinear": {
      const x = env.get(op.input)!.data;
      for (let i = 0; i < x.length; i++) y[i] = dequantizeValue(x[i], op.scaleBits, op.zeroPoint);
      return y;
    }
    case "QLinearMatMul": {
      const a = env.get(op.a)!;
      const b = env.get(op.b)!;
      const bias = op.bias === undefined ? undefined : env.get(op.bias)!.data;
      const [m, k] = a.shape;
      const n = b.shape[1];
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const bZp = pick(op.bZeroPoints, j);
          let acc = 0;
          for (let t = 0; t < k; t++) acc += (a.data[i * k + t] - op.aZeroPoint) * (b.data[t * n + j] - bZp);
          y[i * n + j] = requantize(checkedAcc(acc, op), bias ? bias[j] : 0, pick(op.scaleBits, j), op.outZeroPoint, yType);
        }
      }
      return y;
    }
    case "QLinearConv": {
      const x = env.get(op.x)!;
      const w = env.get(op.w)!;
      const bias = op.bias === undefined ? undefined : env.get(op.bias)!.data;
      const [batch, c, h, wd] = x.shape;
      const [m, , kh, kw] = w.shape;
      const [, , oh, ow] = out.shape;
      const [sh, sw] = op.strides;
      const [pt, pl] = op.pads;
      for (let nb = 0; nb < batch; nb++) {
        for (let oc = 0; oc < m; oc++) {
          const wZp = pick(op.wZeroPoints, oc);
          for (let oy = 0; oy < oh; oy++) {
            for (let ox = 0; ox < ow; ox++) {
              let acc = 0;
              for (let ic = 0; ic < c; ic++) {
                for (let ky = 0; ky < kh; ky++) {
                  for (let kx = 0; kx < kw; kx++) {
                    const iy = oy * sh - pt + ky;
                    const ix = ox * sw - pl + kx;
                    // A padded position holds X's zero point, so it contributes (xZp - xZp) * w = 0.
                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                    const xv = x.data[((nb * c + ic) * h + iy) * wd + ix];
                    const wv = w.data[((oc * c + ic) * kh + ky) * kw + kx];
                    acc += (xv - op.xZeroPoint) * (wv - wZp);
                  }
                }
              }
              y[((nb * m + oc) * oh + oy) * ow + ox] = requantize(checkedAcc(acc, op), bias ? bias[oc] : 0, pick(op.scaleBits, oc), op.outZeroPoint, yType);
            }
          }
        }
      }
      return y;
    }
    case "Relu": {
      const x = env.get(op.input)!.data;
      for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], op.zeroPoint);
      return y;
    }
    case "MaxPool": {
      const x = env.get(op.input)!;
      const [batch, c, h, wd] = x.shape;
      const [, , oh, ow] = out.shape;
      const [kh, kw] = op.kernel;
      const [sh, sw] = op.strides;
      const [pt, pl] = op.pads;
      for (let p = 0; p < batch * c; p++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let best = -Infinity;
            for (let ky = 0; ky < kh; ky++) {
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh - pt + ky;
                const ix = ox * sw - pl + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue; // padding never wins
                best = Math.max(best, x.data[(p * h + iy) * wd + ix]);
              }
            }
            // Pads are smaller than the kernel (validated), so every window holds a real element.
            y[(p * oh + oy) * ow + ox] = best;
          }
        }
      }
      return y;
    }
    case "QLinearAdd": {
      const a = env.get(op.a)!.data;
      const b = env.get(op.b)!.data;
      for (let i = 0; i < a.length; i++) {
        const acc = (a[i] - op.aZeroPoint) * op.aMultiplier + (b[i] - op.bZeroPoint) * op.bMultiplier;
        y[i] = requantize(acc, 0, op.scaleBits, op.outZeroPoint, yType);
      }
      return y;
    }
    case "Table": {
      const x = env.get(op.input)!;
      const base = QUANT_RANGE[x.dtype as QuantDType].min;
      for (let i = 0; i < x.data.length; i++) y[i] = clampTo(op.table[x.data[i] - base], yType);
      return y;
    }
    case "Reshape":
      y.set(env.get(op.input)!.data);
      return y;
  }
}

/** Sums are exact in a double up to 2^53; the rule requires the accumulator to be an int32. */
function checkedAcc(acc: number, op: ProgramOp): number {
  if (!isInt32(acc)) throw new ArithmeticDomainError(`${op.op} -> "${op.output}": accumulator ${acc} overflows int32`);
  return acc;
}
