/**
 * RefereeOneStep (issue 15): the chain recomputes one element of one step from the defender's own
 * committed tensors and the registered weights, and reads the element the defender committed.
 * Specified here: on honest traces every element of every step kind equals the reference
 * interpreter's and the committed value; a falsified element (anywhere: the first step, a middle
 * one, the last one, a skip connection's Add, after a folded flatten) is found exactly where it is;
 * every commitment is checked (steps hash, descriptor, trace root, each range) and each refusal
 * has its error.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import hre, { ethers } from "hardhat";
import { RefereeOneStep__factory } from "../../packages/node/src/typechain";
import { seededRandom } from "../../packages/testkit/src/fixtures";
import { cnnCase, falsifyElement, refereeCases, residualCase, wideCase, type RefereeCase } from "../fixtures/refereePrograms";
import { runProgram, type ProgramTensor, activationRowMajor, commitTrace, encodeDescriptor, lowerProgram, STEP_KIND, type CommittedTrace, type RefereeProgram, oneStepWitness, WitnessError, type OneStepWitness } from "../../packages/node/src";

const coverage = () => (hre as unknown as { __SOLIDITY_COVERAGE_RUNNING?: boolean }).__SOLIDITY_COVERAGE_RUNNING === true;
/** Elements checked per step besides the first and the last; coverage runs fewer. */
const SAMPLES = Number(process.env.ONESTEP_SAMPLES ?? (coverage() ? 2 : 8));

async function deployOneStepFixture() {
  const [deployer] = await ethers.getSigners();
  const oneStep = await new RefereeOneStep__factory(deployer).deploy();
  return { oneStep };
}
type OneStep = Awaited<ReturnType<typeof deployOneStepFixture>>["oneStep"];

interface Committed {
  readonly rp: RefereeProgram;
  readonly trace: CommittedTrace;
  readonly values: Map<string, ProgramTensor>;
}

function commitRun(c: RefereeCase, fault?: { step: number; element: number }): Committed {
  const rp = lowerProgram(c.program);
  const run = runProgram(c.program, { [c.program.inputs[0]]: c.input }, { trace: true }).trace as Map<string, ProgramTensor>;
  const values = fault ? falsifyElement(rp, run, fault) : run;
  return { rp, values, trace: commitTrace(rp, values) };
}

const asRanges = (w: OneStepWitness) => w.ranges.map((r) => ({ leaves: r.leaves, siblings: [...r.siblings] }));

async function check(oneStep: OneStep, c: Committed, step: number, element: number): Promise<{ expected: number; claimed: number }> {
  const w = oneStepWitness(c.rp, c.trace, step, element);
  const [expected, claimed] = await oneStep.check(c.rp.stepsHash, [...w.descHashes], w.step, w.descriptor, c.trace.root, [...w.tensorRoots], w.element, asRanges(w));
  return { expected: Number(expected), claimed: Number(claimed) };
}

/** The interpreter's value of step `step`'s output element `element` (committed order). */
function truth(c: Committed, step: number, element: number): number {
  const t = c.rp.tensors[step + 1];
  const rowMajor = activationRowMajor(t.shape, element);
  return c.values.get(t.name)!.data[rowMajor];
}


function elementsOf(count: number, seed: number): number[] {
  const next = seededRandom(seed);
  const picks = new Set([0, count - 1]);
  for (let i = 0; i < SAMPLES && picks.size < count; i++) picks.add(Math.floor(next() * count));
  return [...picks].sort((a, b) => a - b);
}

const outputCount = (c: Committed, step: number) => c.rp.tensors[step + 1].shape.reduce((a, b) => a * b, 1);

describe("RefereeOneStep: honest traces", function () {
  for (const make of [cnnCase, residualCase, wideCase]) {
    const name = make().name;
    it(`${name}: every sampled element of every step recomputes to the interpreter's value, which is the committed one`, async function () {
      const { oneStep } = await loadFixture(deployOneStepFixture);
      const c = commitRun(make());
      const kinds = new Set<number>();
      for (let step = 0; step < c.rp.steps.length; step++) {
        kinds.add(c.rp.steps[step].kind);
        for (const e of elementsOf(outputCount(c, step), step * 7919 + 1)) {
          const want = truth(c, step, e);
          const got = await check(oneStep, c, step, e);
          expect(got, `${name} step ${step} (${c.rp.steps[step].op.op}) element ${e}`).to.deep.equal({ expected: want, claimed: want });
        }
      }
      expect(kinds.size).to.be.greaterThan(0);
    });
  }

  it("an operand inside the trailing zeros a range leaves out reads as zero (the chain zero-extends the last leaf)", async function () {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    const base = residualCase();
    const c = commitRun({ ...base, input: [...base.input.slice(0, 6), 0, 0] });
    const w = oneStepWitness(c.rp, c.trace, 2, 7); // the Add reads a[7] = 0 from tensor 0
    expect(w.ranges[1].leaves.length).to.equal(6); // a[6] and a[7] were left out
    const got = await check(oneStep, c, 2, 7);
    expect(got).to.deep.equal({ expected: truth(c, 2, 7), claimed: truth(c, 2, 7) });
  });

  it("the three programs hold every step kind", function () {
    const kinds = new Set(refereeCases().flatMap((c) => lowerProgram(c.program).steps.map((s) => s.kind)));
    expect([...kinds].sort()).to.deep.equal(Object.values(STEP_KIND).sort());
  });
});

describe("RefereeOneStep: a falsified element is found where it is", function () {
  /** Falsifies element `element` (committed order) of step `step`'s output and commits the run. */
  const falsified = (c: RefereeCase, step: number, element: number): Committed => commitRun(c, { step, element });

  const places: [string, () => RefereeCase, number, number][] = [
    ["the first step (a padded convolution with a fused Relu)", cnnCase, 0, 5],
    ["a middle step (MaxPool)", cnnCase, 1, 11],
    ["the step after a folded flatten (the last step)", cnnCase, 3, 3],
    ["a skip connection's Add", residualCase, 2, 6],
    ["a Table", residualCase, 3, 0],
    ["a wide matrix's last element", wideCase, 0, 139],
  ];
  for (const [where, make, step, element] of places) {
    it(`at ${where}: that element's expected value differs from the claimed one, its neighbours agree`, async function () {
      const { oneStep } = await loadFixture(deployOneStepFixture);
      const c = falsified(make(), step, element);
      const bad = await check(oneStep, c, step, element);
      expect(bad.expected).to.not.equal(bad.claimed);
      expect(bad.expected).to.equal(truth(commitRun(make()), step, element));
      const neighbour = element === 0 ? 1 : element - 1;
      const good = await check(oneStep, c, step, neighbour);
      expect(good.expected).to.equal(good.claimed);
    });
  }

  it("a wrong weight cannot be proven: a column opened from another tree is refused", async function () {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    const c = commitRun(wideCase());
    const other = commitRun(wideCase(999));
    const w = oneStepWitness(c.rp, c.trace, 0, 3);
    const forged = asRanges(w);
    forged[1] = asRanges(oneStepWitness(other.rp, other.trace, 0, 3))[1];
    await expect(oneStep.check(c.rp.stepsHash, [...w.descHashes], 0, w.descriptor, c.trace.root, [...w.tensorRoots], 3, forged)).to.be.revertedWithCustomError(oneStep, "RootMismatch");
  });
});

describe("RefereeOneStep: channel records", function () {
  async function matMulWitness() {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    const c = commitRun(wideCase());
    const w = oneStepWitness(c.rp, c.trace, 0, 71); // row 1, column 1: record 1
    const call = (ranges: ReturnType<typeof asRanges>) => oneStep.check(c.rp.stepsHash, [...w.descHashes], 0, w.descriptor, c.trace.root, [...w.tensorRoots], 71, ranges);
    return { oneStep, c, w, call };
  }

  it("RecordNotInTree: another channel's record, or a record with its scale changed, is refused", async function () {
    const { oneStep, c, w, call } = await matMulWitness();
    const ranges = asRanges(w);
    const records = c.rp.steps[0].records!;
    await expect(call([ranges[0], ranges[1], { leaves: records.record(2), siblings: records.proof(2) }, ranges[3]])).to.be.revertedWithCustomError(oneStep, "RecordNotInTree").withArgs(1);
    const changed = records.record(1);
    changed[7] ^= 1; // the scale's lowest bit
    await expect(call([ranges[0], ranges[1], { leaves: changed, siblings: records.proof(1) }, ranges[3]])).to.be.revertedWithCustomError(oneStep, "RecordNotInTree").withArgs(1);
  });

  it("WrongLeafCount and RecordProofTooLong: a record that is not 16 bytes, a proof deeper than the tree", async function () {
    const { oneStep, w, call } = await matMulWitness();
    const ranges = asRanges(w);
    await expect(call([ranges[0], ranges[1], { ...ranges[2], leaves: new Uint8Array(32) }, ranges[3]])).to.be.revertedWithCustomError(oneStep, "WrongLeafCount").withArgs(16, 32);
    // 70 records: a binary tree of depth 7.
    const long = [...ranges[2].siblings, ...Array.from({ length: 8 - ranges[2].siblings.length }, () => ethers.ZeroHash)];
    await expect(call([ranges[0], ranges[1], { ...ranges[2], siblings: long }, ranges[3]])).to.be.revertedWithCustomError(oneStep, "RecordProofTooLong").withArgs(8, 7);
  });
});

describe("RefereeOneStep: every commitment is checked", function () {
  async function honest() {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    const c = commitRun(residualCase());
    const w = oneStepWitness(c.rp, c.trace, 2, 4);
    const args = () => ({ stepsHash: c.rp.stepsHash, descHashes: [...w.descHashes], step: w.step, descriptor: w.descriptor, traceRoot: c.trace.root, tensorRoots: [...w.tensorRoots], element: w.element, ranges: asRanges(w) });
    const call = (a: ReturnType<typeof args>) => oneStep.check(a.stepsHash, a.descHashes, a.step, a.descriptor, a.traceRoot, a.tensorRoots, a.element, a.ranges);
    return { oneStep, c, w, args, call };
  }
  const flip = (hex: string) => hex.slice(0, -1) + (hex.endsWith("0") ? "1" : "0");

  it("StepsHashMismatch: descriptor hashes that are not the program's", async function () {
    const { oneStep, args, call } = await honest();
    const a = args();
    a.descHashes[0] = flip(a.descHashes[0]);
    await expect(call(a)).to.be.revertedWithCustomError(oneStep, "StepsHashMismatch");
  });
  it("StepOutOfRange: a step past the program's", async function () {
    const { oneStep, args, call } = await honest();
    await expect(call({ ...args(), step: 5 })).to.be.revertedWithCustomError(oneStep, "StepOutOfRange").withArgs(5, 5);
  });
  it("DescriptorMismatch: another step's descriptor", async function () {
    const { oneStep, c, args, call } = await honest();
    await expect(call({ ...args(), descriptor: c.rp.steps[1].descriptor })).to.be.revertedWithCustomError(oneStep, "DescriptorMismatch");
  });
  it("TensorCountMismatch and TraceRootMismatch: roots that are not the defender's trace", async function () {
    const { oneStep, args, call } = await honest();
    const a = args();
    await expect(call({ ...a, tensorRoots: a.tensorRoots.slice(1) })).to.be.revertedWithCustomError(oneStep, "TensorCountMismatch").withArgs(6, 5);
    const roots = [...a.tensorRoots];
    roots[0] = flip(roots[0]);
    await expect(call({ ...a, tensorRoots: roots })).to.be.revertedWithCustomError(oneStep, "TraceRootMismatch");
  });
  it("ElementOutOfRange: an element past the step's output", async function () {
    const { oneStep, args, call } = await honest();
    await expect(call({ ...args(), element: 8 })).to.be.revertedWithCustomError(oneStep, "ElementOutOfRange").withArgs(8, 8);
  });
  it("WrongRangeCount: a range missing or one too many", async function () {
    const { oneStep, args, call } = await honest();
    const a = args();
    await expect(call({ ...a, ranges: a.ranges.slice(0, 2) })).to.be.revertedWithCustomError(oneStep, "WrongRangeCount");
    await expect(call({ ...a, ranges: [...a.ranges, a.ranges[0]] })).to.be.revertedWithCustomError(oneStep, "WrongRangeCount").withArgs(3, 4);
  });
  it("WrongLeafCount: a range with more or fewer leaves than the operand spans", async function () {
    const { oneStep, args, call } = await honest();
    const a = args();
    const ranges = [...a.ranges];
    ranges[0] = { leaves: new Uint8Array(2048), siblings: [] };
    await expect(call({ ...a, ranges })).to.be.revertedWithCustomError(oneStep, "WrongLeafCount").withArgs(1, 2);
    // A wide row spans two leaves: one leaf (even a whole one) is too few.
    const wide = commitRun(wideCase());
    const ww = oneStepWitness(wide.rp, wide.trace, 0, 1);
    const short = asRanges(ww);
    short[0] = { ...short[0], leaves: short[0].leaves.subarray(0, 1024) };
    await expect(oneStep.check(wide.rp.stepsHash, [...ww.descHashes], 0, ww.descriptor, wide.trace.root, [...ww.tensorRoots], 1, short)).to.be.revertedWithCustomError(oneStep, "WrongLeafCount").withArgs(2, 1);
  });
  it("a skip operand from another tensor is refused (the Add's input is proven against its own tensor root)", async function () {
    const { oneStep, c, args, call } = await honest();
    const a = args();
    const ranges = [...a.ranges];
    // The Add's second operand is tensor 0 (the input); a range of tensor 1 at the same place does not prove it.
    const wrong = oneStepWitness(c.rp, c.trace, 1, 4); // Relu: its first range opens tensor 1
    ranges[1] = asRanges(wrong)[0];
    await expect(call({ ...a, ranges })).to.be.revertedWithCustomError(oneStep, "RootMismatch");
  });

  /** A one-step program made of a crafted descriptor, so that a malformed one can be registered. */
  async function crafted(kind: number, ints: bigint[], roots: string[] = []) {
    const { oneStep, c } = await honest();
    const d = encodeDescriptor(kind as never, ints, roots, new Uint8Array(0));
    const stepsHash = ethers.keccak256(ethers.concat([d.descHash]));
    const roots2 = [c.trace.tensors[0].tree.root, c.trace.tensors[1].tree.root];
    const traceRoot = ethers.sha256(ethers.concat(["0x02", ...roots2]));
    return { oneStep, call: () => oneStep.check(stepsHash, [d.descHash], 0, d.descriptor, traceRoot, roots2, 0, []) };
  }
  it("UnknownStepKind, MalformedDescriptor, InputNotEarlier: descriptors the one-step cannot play", async function () {
    let t = await crafted(9, [0n, 0n, 0n, 8n]);
    await expect(t.call()).to.be.revertedWithCustomError(t.oneStep, "UnknownStepKind").withArgs(9);
    t = await crafted(STEP_KIND.Relu, [0n, 0n, 0n]);
    await expect(t.call()).to.be.revertedWithCustomError(t.oneStep, "MalformedDescriptor").withArgs(STEP_KIND.Relu, 3, 0);
    t = await crafted(STEP_KIND.Relu, [1n, 0n, 0n, 8n]);
    await expect(t.call()).to.be.revertedWithCustomError(t.oneStep, "InputNotEarlier").withArgs(1, 0);
  });
  it("the witness refuses an element or step the program does not have", function () {
    const c = commitRun(residualCase());
    expect(() => oneStepWitness(c.rp, c.trace, 5, 0)).to.throw(WitnessError, "step 5 is not a step");
    expect(() => oneStepWitness(c.rp, c.trace, 0, 8)).to.throw(WitnessError, "element 8 is not in step 0's output (8 elements)");
  });
});

describe("RefereeOneStep: outputCount", function () {
  it("equals every step's output element count, from its descriptor alone (the game derives the output tree's depth from it)", async function () {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    for (const c of refereeCases()) {
      const rp = lowerProgram(c.program);
      for (let step = 0; step < rp.steps.length; step++) expect(await oneStep.outputCount(rp.steps[step].descriptor), `${c.name} step ${step}`).to.equal(BigInt(outputCount({ rp } as Committed, step)));
    }
    const d = encodeDescriptor(9 as never, [0n, 0n, 0n, 8n], [], new Uint8Array(0));
    await expect(oneStep.outputCount(d.descriptor)).to.be.revertedWithCustomError(oneStep, "UnknownStepKind").withArgs(9);
    const bad = encodeDescriptor(STEP_KIND.Add, [0n], [], new Uint8Array(0));
    await expect(oneStep.outputCount(bad.descriptor)).to.be.revertedWithCustomError(oneStep, "MalformedDescriptor").withArgs(STEP_KIND.Add, 1, 0);
  });
});

describe("RefereeOneStep: gas", function () {
  it("an element of a 1,500-long dot product with two-leaf columns costs under 400,000 gas in a transaction", async function () {
    const { oneStep } = await loadFixture(deployOneStepFixture);
    const c = commitRun(wideCase());
    const w = oneStepWitness(c.rp, c.trace, 0, 77);
    const gas = await oneStep.check.estimateGas(c.rp.stepsHash, [...w.descHashes], 0, w.descriptor, c.trace.root, [...w.tensorRoots], 77, asRanges(w));
    console.log(`      one-step gas (K = 1,500, a transaction): ${gas}`);
    if (!coverage()) expect(gas).to.be.below(400_000n);
  });
});
