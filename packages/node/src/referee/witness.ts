/**
 * The one-step's witness (docs/REFEREE.md): for one element of one step of a committed trace, the
 * ranges of leaves and their proofs that RefereeOneStep.check reads, in the order it reads them
 * (the operands of the step kind, then the output element's leaf). It mirrors the contract's
 * `_read` calls one for one; a test runs both on every operator so that the two cannot drift.
 */
import { columnLeafStride, filterLeafStride, LEAF_BYTES, type MerkleTree } from "./commit";
import { STEP_KIND, type RefereeProgram, type RefereeStep } from "./steps";
import type { CommittedTrace } from "./steps";

/** One range: leaves (concatenated, the last without its trailing zeros) and the siblings that prove them; for a channel record, its 16 bytes and its keccak proof. */
export interface WitnessRange {
  readonly leaves: Uint8Array;
  readonly siblings: readonly string[];
}

/** Everything RefereeOneStep.check takes besides the registered steps hash and the trace root. */
export interface OneStepWitness {
  readonly descHashes: readonly string[];
  readonly step: number;
  readonly descriptor: string;
  readonly tensorRoots: readonly string[];
  readonly element: number;
  readonly ranges: readonly WitnessRange[];
}

/** Thrown when a witness is asked for an element or step the program does not have. */
export class WitnessError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "WitnessError";
  }
}


function range(tree: MerkleTree, offset: number, length: number): WitnessRange {
  const first = Math.floor(offset / LEAF_BYTES);
  const last = Math.floor((offset + length - 1) / LEAF_BYTES);
  const { leaves, siblings } = tree.rangeProof(first, last - first + 1);
  // The chain zero-extends a short last leaf, and calldata charges for zeros: leave out the last
  // leaf's trailing zeros (keeping one byte of it, so the leaf count stays the same).
  let end = leaves.length;
  while (end > leaves.length - LEAF_BYTES + 1 && leaves[end - 1] === 0) end--;
  return { leaves: leaves.subarray(0, end), siblings };
}

/** A channel record as a range: its 16 bytes and its proof in the records' tree (records.ts). */
function record(s: RefereeStep, channel: number): WitnessRange {
  const tree = s.records!; // MatMul and Conv steps always have records (steps.ts)
  return { leaves: tree.record(channel), siblings: tree.proof(channel) };
}

/** The input rows a convolution or pooling window at output pixel `pixel` reads: [offset, length] in bytes. */
function windowRows(g: { n: number; h: number; w: number; c: number; kh: number; kw: number; sh: number; sw: number; pt: number; pl: number; oh: number; ow: number }, pixel: number): [number, number][] {
  const ox = pixel % g.ow;
  const oy = Math.floor(pixel / g.ow) % g.oh;
  const n = Math.floor(pixel / (g.ow * g.oh));
  const rows: [number, number][] = [];
  for (let i = 0; i < g.kh; i++) {
    const iy = oy * g.sh + i - g.pt;
    if (iy < 0 || iy >= g.h) continue;
    const jlo = Math.max(0, g.pl - ox * g.sw);
    const jhi = Math.min(g.kw, g.w + g.pl - ox * g.sw);
    if (jlo >= jhi) continue;
    rows.push([((n * g.h + iy) * g.w + (ox * g.sw + jlo - g.pl)) * g.c, (jhi - jlo) * g.c]);
  }
  return rows;
}

/**
 * The witness for element `element` (in the committed order of the step's output) of step `step`
 * of `trace`, a committed run of `rp`.
 */
export function oneStepWitness(rp: RefereeProgram, trace: CommittedTrace, step: number, element: number): OneStepWitness {
  const s = rp.steps[step];
  if (!s) throw new WitnessError(`step ${step} is not a step of the program (it has ${rp.steps.length})`);
  const p = s.ints.map(Number);
  const tree = (tensor: number) => trace.tensors[tensor].tree;
  const ranges: WitnessRange[] = [];
  let count: number;
  switch (s.kind) {
    case STEP_KIND.MatMul: {
      const [a, , , , m, k, n] = p;
      count = m * n;
      if (element >= count) break;
      const stride = columnLeafStride("uint8", k) * LEAF_BYTES; // one byte an element (uint8 or int8)
      ranges.push(range(tree(a), Math.floor(element / n) * k, k), range(s.weights[0].tree, (element % n) * stride, k), record(s, element % n));
      break;
    }
    case STEP_KIND.Conv: {
      const [x, , , , nb, c, h, w, m, kh, kw, sh, sw, pt, pl, , , , , oh, ow] = p;
      count = nb * oh * ow * m;
      if (element >= count) break;
      const oc = element % m;
      for (const [offset, length] of windowRows({ n: nb, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow }, Math.floor(element / m))) ranges.push(range(tree(x), offset, length));
      const size = kh * kw * c;
      const stride = filterLeafStride("uint8", [m, c, kh, kw]) * LEAF_BYTES;
      ranges.push(range(s.weights[0].tree, oc * stride, size), record(s, oc));
      break;
    }
    case STEP_KIND.MaxPool: {
      const [x, , nb, c, h, w, kh, kw, sh, sw, pt, pl, , , oh, ow] = p;
      count = nb * oh * ow * c;
      if (element >= count) break;
      for (const [offset, length] of windowRows({ n: nb, h, w, c, kh, kw, sh, sw, pt, pl, oh, ow }, Math.floor(element / c))) ranges.push(range(tree(x), offset, length));
      break;
    }
    case STEP_KIND.Relu:
    case STEP_KIND.Table: {
      count = p[3];
      if (element >= count) break;
      ranges.push(range(tree(p[0]), element, 1));
      break;
    }
    case STEP_KIND.Add: {
      count = p[5];
      if (element >= count) break;
      ranges.push(range(tree(p[0]), element, 1), range(tree(p[1]), element, 1));
      break;
    }
  }
  if (element < 0 || !Number.isSafeInteger(element) || element >= count) throw new WitnessError(`element ${element} is not in step ${step}'s output (${count} elements)`);
  ranges.push(range(tree(step + 1), element, 1));
  return {
    descHashes: rp.steps.map((x) => x.descHash),
    step,
    descriptor: s.descriptor,
    tensorRoots: trace.tensors.map((t) => t.tree.root),
    element,
    ranges,
  };
}
