/**
 * Lowers a validated refereed program (program.ts) to the form a dispute is played on
 * (docs/REFEREE.md, "Steps and the trace"): numbered tensors (0 is the input, i >= 1 the output of
 * step i - 1), Reshape folded away, weights in their committed layouts with their Merkle trees,
 * and one ABI-encoded descriptor per step that carries everything the chain needs to recompute
 * one element of it. `stepsHash` commits to all descriptors, and through them to every weight root.
 *
 * Descriptor: `abi.encode(uint256 kind, int256[] ints, bytes32[] roots, bytes data)`. Per kind
 * (`STEP_KIND`), the meaning of `ints` (booleans as 0/1; "signed" means int8, else uint8):
 * - MatMul  [aIndex, aSigned, bSigned, outSigned, M, K, N, aZeroPoint, outZeroPoint, reluFused];
 *           roots [B's column tree, channel records' tree (records.ts)]
 * - Conv    [xIndex, xSigned, wSigned, outSigned, N, C, H, W, M, kh, kw, strideH, strideW,
 *            padTop, padLeft, padBottom, padRight, xZeroPoint, outZeroPoint, OH, OW, reluFused];
 *           roots [W's filter tree, channel records' tree]
 * - Relu    [xIndex, signed, zeroPoint, count]
 * - MaxPool [xIndex, signed, N, C, H, W, kh, kw, strideH, strideW, padTop, padLeft, padBottom,
 *            padRight, OH, OW]
 * - Add     [aIndex, bIndex, aSigned, bSigned, outSigned, count, aZeroPoint, bZeroPoint,
 *            aMultiplier, bMultiplier, scaleBits, outZeroPoint]
 * - Table   [xIndex, inSigned, outSigned, count]; data = the 256 entries, one byte each
 *           (int8 outputs as two's complement)
 * A Relu whose zero point is the output's and that is the only reader of a MatMul's or Conv's
 * output is fused into that step (reluFused = 1: the element is max(requantized, outZeroPoint)):
 * the pre-Relu tensor is never committed, which saves a step, its moves and its hashing.
 * The output of step i is tensor i + 1; its dtype is uint8 when outSigned is 0 (MatMul, Conv, Add,
 * Table) or the input's dtype (Relu, MaxPool).
 *
 * Not refereeable (refused with a NotRefereeableError naming the operator): float32 tensors
 * (QuantizeLinear / DequantizeLinear edges), more than one input or output, an output that is not
 * the last step's, a matrix or filter that is not a constant, a rank-4 input or output with more
 * than one channel (its committed order would differ from the job's bytes), and any Reshape other
 * than a row-major alias or an NCHW flatten feeding a QLinearMatMul.
 */
import { AbiCoder, keccak256, concat } from "ethers";
import { MerkleTree, encodeActivation, encodeConvFilters, encodeMatrixColumns, traceRoot } from "./commit";
import { RecordTree } from "./records";
import { elementCount, validateProgram, type ConstantDecl, type Program, type ProgramOp, type TensorDecl } from "./program";
import type { ProgramTensor } from "./interpreter";

export const STEP_KIND = { MatMul: 1, Conv: 2, Relu: 3, MaxPool: 4, Add: 5, Table: 6 } as const;
export type StepKind = (typeof STEP_KIND)[keyof typeof STEP_KIND];

/** Thrown when a valid program cannot be played as a refereed dispute; the message says why. */
export class NotRefereeableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotRefereeableError";
  }
}

/** A committed weight tensor: its bytes in the committed layout and their tree. */
export interface CommittedWeights {
  readonly bytes: Uint8Array;
  readonly tree: MerkleTree;
}

export interface RefereeStep {
  readonly kind: StepKind;
  /** The program operator this step computes (Reshape never appears). */
  readonly op: Exclude<ProgramOp, { op: "Reshape" }>;
  /** The Relu fused into a MatMul or Conv step: the step's output is this Relu's. */
  readonly fusedRelu?: Extract<ProgramOp, { op: "Relu" }>;
  readonly ints: readonly bigint[];
  /** MatMul and Conv: the matrix's columns or the filters (descriptor root 0). */
  readonly weights: readonly CommittedWeights[];
  /** MatMul and Conv: the channel records (descriptor root 1). */
  readonly records?: RecordTree;
  readonly data: Uint8Array;
  /** The ABI-encoded descriptor, 0x hex. */
  readonly descriptor: string;
  readonly descHash: string;
}

export interface RefereeProgram {
  readonly program: Program;
  /** Tensor index -> the program tensor whose values it commits (0: the input; i: step i - 1's output). */
  readonly tensors: readonly TensorDecl[];
  readonly steps: readonly RefereeStep[];
  /** keccak256 of the descriptors' hashes, in step order. */
  readonly stepsHash: string;
}

const abi = AbiCoder.defaultAbiCoder();
const DESCRIPTOR_TYPES = ["uint256", "int256[]", "bytes32[]", "bytes"];

const signed = (t: TensorDecl): bigint => (t.dtype === "int8" ? 1n : 0n);
const pick = (list: readonly number[], c: number) => (list.length === 1 ? list[0] : list[c]);

function weightsOf(bytes: Uint8Array): CommittedWeights {
  return { bytes, tree: MerkleTree.fromBytes(bytes) };
}

function channelRecords(count: number, bias: readonly number[] | undefined, scaleBits: readonly number[], zeroPoints: readonly number[]): RecordTree {
  return RecordTree.fromRecords(Array.from({ length: count }, (_, c) => ({ bias: bias ? bias[c] : 0, scaleBits: pick(scaleBits, c), weightZeroPoint: pick(zeroPoints, c) })));
}

/** The operators that read `op`'s output (every operand field of an operator names a tensor). */
function readersOf(program: Program, op: ProgramOp): ProgramOp[] {
  return program.ops.filter((o) => o !== op && Object.values(o).includes(op.output));
}

/** Encodes a step's descriptor and its hash. */
export function encodeDescriptor(kind: StepKind, ints: readonly bigint[], roots: readonly string[], data: Uint8Array): { descriptor: string; descHash: string } {
  const descriptor = abi.encode(DESCRIPTOR_TYPES, [kind, ints, roots, data]);
  return { descriptor, descHash: keccak256(descriptor) };
}

/** Lowers `program`; throws ProgramError if it is malformed and NotRefereeableError if it cannot be refereed. */
export function lowerProgram(program: Program): RefereeProgram {
  const decls = validateProgram(program);
  if (program.inputs.length !== 1 || program.outputs.length !== 1) {
    throw new NotRefereeableError(`a refereed program has one input and one output, not ${program.inputs.length} and ${program.outputs.length}`);
  }
  const constants = new Map<string, ConstantDecl>(program.constants.map((c) => [c.name, c]));
  const decl = (name: string) => decls.get(name)!; // validated: every name is declared
  const integer = (t: TensorDecl, what: string) => {
    if (t.dtype !== "uint8" && t.dtype !== "int8") throw new NotRefereeableError(`${what} "${t.name}" is ${t.dtype}: refereed traces hold uint8/int8 activations only`);
    return t;
  };
  const oneChannelOrFlat = (t: TensorDecl, what: string) => {
    if (t.shape.length === 4 && t.shape[1] !== 1) throw new NotRefereeableError(`${what} "${t.name}" has ${t.shape[1]} channels: its committed (channels-last) order would differ from the job's bytes`);
  };

  const input = integer(decl(program.inputs[0]), "the input");
  oneChannelOrFlat(input, "the input");
  const index = new Map<string, number>([[input.name, 0]]);
  /** An NCHW activation flattened by a folded Reshape: the tensor name -> the rank-4 shape it came from. */
  const flattenedFrom = new Map<string, readonly number[]>();
  const tensors: TensorDecl[] = [input];
  const steps: RefereeStep[] = [];
  const at = (name: string, what: string): bigint => {
    const i = index.get(name);
    if (i === undefined) throw new NotRefereeableError(`${what} "${name}" is not an activation of the trace (a constant where an activation belongs?)`);
    return BigInt(i);
  };
  const constant = (name: string, what: string): ConstantDecl => {
    const c = constants.get(name);
    if (!c) throw new NotRefereeableError(`${what} "${name}" must be a constant (registered weights), not an activation`);
    return c;
  };

  // A Relu fused into the MatMul or Conv it alone reads, by that step's output name.
  const fused = new Map<string, Extract<ProgramOp, { op: "Relu" }>>();
  for (const op of program.ops) {
    if (op.op !== "QLinearMatMul" && op.op !== "QLinearConv") continue;
    const readers = readersOf(program, op);
    const relu = readers[0];
    if (readers.length === 1 && relu.op === "Relu" && relu.zeroPoint === op.outZeroPoint && !program.outputs.includes(op.output)) fused.set(op.output, relu);
  }
  const fusedAway = new Set([...fused.values()].map((r) => r.output));

  for (const op of program.ops) {
    if (fusedAway.has(op.output)) continue; // computed by the step it is fused into
    const fusedRelu = fused.get(op.output);
    const out = decl(fusedRelu ? fusedRelu.output : op.output);
    if (op.op === "Reshape") {
      const x = decl(op.input);
      const rowMajorAlias = x.shape.length !== 4 && out.shape.length !== 4;
      const flatten = x.shape.length === 4 && out.shape.length === 2 && out.shape[0] === x.shape[0];
      if (!rowMajorAlias && !flatten) throw new NotRefereeableError(`Reshape -> "${op.output}": only a row-major alias or an NCHW flatten to [N, C*H*W] can be folded`);
      if (flatten) {
        const consumers = readersOf(program, op);
        if (!consumers.every((o) => o.op === "QLinearMatMul" && o.a === op.output)) throw new NotRefereeableError(`Reshape -> "${op.output}": a flattened NCHW tensor may only feed a QLinearMatMul's A`);
        flattenedFrom.set(op.output, x.shape);
      }
      index.set(op.output, Number(at(op.input, "Reshape's input")));
      continue;
    }
    integer(out, "the output of a step");
    let kind: StepKind;
    let ints: bigint[];
    let weights: CommittedWeights[] = [];
    let records: RecordTree | undefined;
    let data = new Uint8Array(0);
    switch (op.op) {
      case "QLinearMatMul": {
        const a = integer(decl(op.a), "A");
        const b = constant(op.b, "QLinearMatMul's B");
        const [m, k] = a.shape;
        const n = b.shape[1];
        // A flattened NCHW input is committed as NHWC: row k of B must follow that order.
        const from = flattenedFrom.get(op.a);
        let values: readonly number[] = b.data;
        if (from) {
          const [, c, h, w] = from;
          const permuted = new Array<number>(b.data.length);
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++)
              for (let ch = 0; ch < c; ch++) {
                const committed = (y * w + x) * c + ch;
                const rowMajor = (ch * h + y) * w + x;
                for (let j = 0; j < n; j++) permuted[committed * n + j] = b.data[rowMajor * n + j];
              }
          values = permuted;
        }
        const bias = op.bias === undefined ? undefined : constant(op.bias, "QLinearMatMul's bias").data;
        weights = [weightsOf(encodeMatrixColumns(b.dtype as "uint8" | "int8", k, n, values))];
        records = channelRecords(n, bias, op.scaleBits, op.bZeroPoints);
        kind = STEP_KIND.MatMul;
        ints = [at(op.a, "QLinearMatMul's A"), signed(a), signed(b), signed(out), BigInt(m), BigInt(k), BigInt(n), BigInt(op.aZeroPoint), BigInt(op.outZeroPoint), fusedRelu ? 1n : 0n];
        break;
      }
      case "QLinearConv": {
        const x = integer(decl(op.x), "X");
        const w = constant(op.w, "QLinearConv's W");
        const [nb, c, h, wd] = x.shape;
        const [m, , kh, kw] = w.shape;
        const [, , oh, ow] = out.shape;
        const bias = op.bias === undefined ? undefined : constant(op.bias, "QLinearConv's bias").data;
        weights = [weightsOf(encodeConvFilters(w.dtype as "uint8" | "int8", w.shape, w.data))];
        records = channelRecords(m, bias, op.scaleBits, op.wZeroPoints);
        kind = STEP_KIND.Conv;
        ints = [at(op.x, "QLinearConv's X"), signed(x), signed(w), signed(out), ...[nb, c, h, wd, m, kh, kw, ...op.strides, ...op.pads, op.xZeroPoint, op.outZeroPoint, oh, ow].map(BigInt), fusedRelu ? 1n : 0n];
        break;
      }
      case "Relu": {
        const x = integer(decl(op.input), "Relu's input");
        kind = STEP_KIND.Relu;
        ints = [at(op.input, "Relu's input"), signed(x), BigInt(op.zeroPoint), BigInt(elementCount(x.shape))];
        break;
      }
      case "MaxPool": {
        const x = integer(decl(op.input), "MaxPool's input");
        const [, , oh, ow] = out.shape;
        kind = STEP_KIND.MaxPool;
        ints = [at(op.input, "MaxPool's input"), signed(x), ...[...x.shape, ...op.kernel, ...op.strides, ...op.pads, oh, ow].map(BigInt)];
        break;
      }
      case "QLinearAdd": {
        const a = integer(decl(op.a), "QLinearAdd's A");
        const b = integer(decl(op.b), "QLinearAdd's B");
        kind = STEP_KIND.Add;
        ints = [
          at(op.a, "QLinearAdd's A"),
          at(op.b, "QLinearAdd's B"),
          signed(a),
          signed(b),
          signed(out),
          ...[elementCount(a.shape), op.aZeroPoint, op.bZeroPoint, op.aMultiplier, op.bMultiplier, op.scaleBits, op.outZeroPoint].map(BigInt),
        ];
        break;
      }
      case "Table": {
        const x = integer(decl(op.input), "Table's input");
        kind = STEP_KIND.Table;
        ints = [at(op.input, "Table's input"), signed(x), signed(out), BigInt(elementCount(x.shape))];
        data = Uint8Array.from(op.table, (v) => v & 0xff);
        break;
      }
      default:
        throw new NotRefereeableError(`${op.op} -> "${op.output}": ${op.op} is not a refereed step (float32 edges belong outside the refereed program)`);
    }
    const roots = [...weights.map((w) => w.tree.root), ...(records ? [records.root] : [])];
    steps.push({ kind, op, ...(fusedRelu ? { fusedRelu } : {}), ints, weights, records, data, ...encodeDescriptor(kind, ints, roots, data) });
    index.set(out.name, tensors.length);
    tensors.push(out);
  }

  const output = program.outputs[0];
  if (steps.length === 0 || index.get(output) !== tensors.length - 1 || flattenedFrom.has(output)) {
    throw new NotRefereeableError(`the output "${output}" must be the last step's output`);
  }
  oneChannelOrFlat(tensors[tensors.length - 1], "the output");
  const stepsHash = keccak256(concat(steps.map((s) => s.descHash)));
  return { program, tensors, steps, stepsHash };
}

/** A run's trace as committed: each tensor's bytes and tree, and the trace root. */
export interface CommittedTrace {
  readonly tensors: readonly { readonly bytes: Uint8Array; readonly tree: MerkleTree }[];
  readonly root: string;
}

/**
 * Commits a run: `values` holds every tensor of the program by name (runProgram's trace, or
 * onnxruntime's intermediates) and only the trace's tensors are read.
 */
export function commitTrace(rp: RefereeProgram, values: ReadonlyMap<string, ProgramTensor>): CommittedTrace {
  const tensors = rp.tensors.map((t) => {
    const v = values.get(t.name);
    if (!v) throw new NotRefereeableError(`the trace lacks tensor "${t.name}"`);
    const bytes = encodeActivation(t.dtype as "uint8" | "int8", t.shape, v.data);
    return { bytes, tree: MerkleTree.fromBytes(bytes) };
  });
  return { tensors, root: traceRoot(tensors.map((t) => t.tree.root)) };
}
