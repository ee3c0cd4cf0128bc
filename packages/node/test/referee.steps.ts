/**
 * Lowering a refereed program to its steps (src/referee/steps.ts): tensor numbering, the folded
 * flatten, descriptors and the steps hash, trace commitments, and every program the referee
 * refuses, each with a message that says why.
 */
import { expect } from "chai";
import { float32Bits } from "../src/referee/arith";
import { MerkleTree, encodeActivation, traceRoot } from "../src/referee/commit";
import { runProgram, type ProgramTensor } from "../src/referee/interpreter";
import type { Program, ProgramOp, TensorDecl } from "../src/referee/program";
import { commitTrace, lowerProgram, NotRefereeableError, STEP_KIND } from "../src/referee/steps";
import { cnnCase, residualCase, wideCase } from "../../../test/fixtures/refereePrograms";

describe("referee steps: lowering", function () {
  it("numbers the input 0 and each step's output after it, folding the Reshape away", function () {
    const rp = lowerProgram(cnnCase().program);
    expect(rp.tensors.map((t) => t.name)).to.deep.equal(["x", "r1", "p1", "c2", "y"]);
    expect(rp.steps.map((s) => s.kind)).to.deep.equal([STEP_KIND.Conv, STEP_KIND.MaxPool, STEP_KIND.Conv, STEP_KIND.MatMul]);
    // The MatMul after the flatten reads tensor 3 (c2) directly.
    expect(rp.steps[3].ints[0]).to.equal(3n);
  });

  it("fuses a Relu at its producer's zero point into the MatMul or Conv it alone reads, and no other", function () {
    const cnn = lowerProgram(cnnCase().program);
    expect(cnn.steps[0].fusedRelu?.output).to.equal("r1");
    expect(cnn.steps[0].ints[cnn.steps[0].ints.length - 1]).to.equal(1n);
    expect(cnn.steps[2].ints[cnn.steps[2].ints.length - 1]).to.equal(0n); // c2 feeds the flatten
    const residual = lowerProgram(residualCase().program); // its Relu's zero point is not h1's
    expect(residual.steps.map((s) => s.kind)).to.deep.equal([STEP_KIND.MatMul, STEP_KIND.Relu, STEP_KIND.Add, STEP_KIND.Table, STEP_KIND.MatMul]);
    expect(residual.steps[0].fusedRelu).to.equal(undefined);
  });

  it("a skip connection names the earlier tensor it reads", function () {
    const rp = lowerProgram(residualCase().program);
    const add = rp.steps[2];
    expect(add.kind).to.equal(STEP_KIND.Add);
    expect(add.ints.slice(0, 2)).to.deep.equal([2n, 0n]);
  });

  it("permutes the flattened matrix's rows into the channels-last order its input is committed in", function () {
    // c2 is [1, 3, 2, 2]: row k of the folded matrix is NHWC element k, i.e. NCHW row (k % 3) * 4 + floor(k / 3).
    const c = cnnCase();
    const rp = lowerProgram(c.program);
    const fc = c.program.constants.find((x) => x.name === "fc")!;
    const column0 = rp.steps[3].weights[0].bytes.subarray(0, 12);
    const expected = Array.from({ length: 12 }, (_, k) => fc.data[((k % 3) * 4 + Math.floor(k / 3)) * 5] & 0xff);
    expect(Array.from(column0)).to.deep.equal(expected);
  });

  it("is deterministic: the same program gives the same descriptors and steps hash; another weight changes it", function () {
    const a = lowerProgram(wideCase().program);
    const b = lowerProgram(wideCase().program);
    expect(a.stepsHash).to.equal(b.stepsHash);
    expect(a.steps.map((s) => s.descriptor)).to.deep.equal(b.steps.map((s) => s.descriptor));
    expect(lowerProgram(wideCase(999).program).stepsHash).to.not.equal(a.stepsHash);
  });

  it("commits a run: tensor roots over each tensor's committed bytes, and the trace root over them", function () {
    const c = residualCase();
    const rp = lowerProgram(c.program);
    const values = runProgram(c.program, { a: c.input }, { trace: true }).trace as Map<string, ProgramTensor>;
    const trace = commitTrace(rp, values);
    const roots = rp.tensors.map((t) => MerkleTree.fromBytes(encodeActivation(t.dtype as "uint8" | "int8", t.shape, values.get(t.name)!.data)).root);
    expect(trace.tensors.map((t) => t.tree.root)).to.deep.equal(roots);
    expect(trace.root).to.equal(traceRoot(roots));
    expect(() => commitTrace(rp, new Map())).to.throw(NotRefereeableError, 'the trace lacks tensor "a"');
  });
});

describe("referee steps: programs the referee refuses", function () {
  const u8 = (name: string, shape: number[]): TensorDecl => ({ name, dtype: "uint8", shape });
  const mm = (a: string, b: string, output: string): ProgramOp => ({ op: "QLinearMatMul", a, b, output, aZeroPoint: 0, bZeroPoints: [0], scaleBits: [float32Bits(0.01)], outZeroPoint: 0 });
  const w = { name: "w", dtype: "int8" as const, shape: [4, 2], data: [1, 2, 3, 4, 5, 6, 7, 8] };
  const prog = (tensors: TensorDecl[], ops: ProgramOp[], inputs = ["x"], outputs = ["y"], constants: Program["constants"] = [w]): Program => ({ version: 1, inputs, outputs, tensors, constants, ops });

  const cases: [string, Program, string][] = [
    ["float32 edges", prog([{ name: "x", dtype: "float32", shape: [1, 4] }, u8("q", [1, 4]), u8("y", [1, 2])], [{ op: "QuantizeLinear", input: "x", output: "q", scaleBits: float32Bits(0.1), zeroPoint: 0 }, mm("q", "w", "y")]), 'the input "x" is float32'],
    ["two inputs", prog([u8("x", [1, 4]), u8("z", [1, 4]), u8("y", [1, 2])], [mm("x", "w", "y")], ["x", "z"]), "one input and one output, not 2 and 1"],
    ["a matrix that is an activation", prog([u8("x", [4, 4]), u8("h", [4, 2]), u8("y", [4, 2])], [mm("x", "w", "h"), mm("x", "h", "y")]), 'QLinearMatMul\'s B "h" must be a constant'],
    ["a multi-channel rank-4 input", prog([u8("x", [1, 2, 2, 1]), u8("f", [1, 4]), u8("y", [1, 2])], [{ op: "Reshape", input: "x", output: "f" }, mm("f", "w", "y")]), "has 2 channels"],
    ["an output that is not the last step's", prog([u8("x", [1, 4]), u8("y", [1, 2]), u8("r", [1, 2])], [mm("x", "w", "y"), { op: "Relu", input: "y", output: "r", zeroPoint: 0 }]), 'the output "y" must be the last step\'s output'],
    ["a flatten feeding something else than a matrix", prog([u8("x", [1, 1, 2, 2]), u8("f", [1, 4]), u8("y", [1, 4])], [{ op: "Reshape", input: "x", output: "f" }, { op: "Relu", input: "f", output: "y", zeroPoint: 0 }]), "may only feed a QLinearMatMul's A"],
    ["a reshape into rank 4", prog([u8("x", [1, 4]), u8("y", [1, 1, 2, 2])], [{ op: "Reshape", input: "x", output: "y" }]), "only a row-major alias or an NCHW flatten"],
  ];
  for (const [what, p, message] of cases) {
    it(`refuses ${what}`, function () {
      expect(() => lowerProgram(p)).to.throw(NotRefereeableError, message);
    });
  }
});
