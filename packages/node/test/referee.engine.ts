/**
 * The engine gate of issue 15: a refereed program runs on onnxruntime only after the node's
 * start-up self-test passed and only when its int8 weights cannot saturate; otherwise on the
 * reference interpreter, which gives onnxruntime's canonical bytes wherever nothing saturates, and
 * refuses a misfit input exactly as onnxruntime's runner does.
 */
import { expect } from "chai";
import { onnx } from "onnx-proto";
import { decodeTensors, encodeTensors, type TensorMap } from "../src/codec/tensor";
import { compileOnnx } from "../src/referee/compile";
import { chooseEngine, int8Operands, type EngineFacts, type Int8Operand } from "../src/referee/engine";
import { runProgram } from "../src/referee/interpreter";
import { InterpreterRunner } from "../src/referee/interpreterRunner";
import type { Program } from "../src/referee/program";
import { selfTestModelBytes, selfTestProgram, selfTestVectors } from "../src/referee/selfTest";
import { refereeCnn, refereeMlp, zooInput, zooProgram } from "../src/referee/zoo";
import { loadRunner } from "../src/runtime/loadRunner";
import { InvalidInputError, ModelRunner } from "../src/runtime/runner";
import type { CanonicalRunner } from "../src/runtime/canonicalRunner";
import { mlp } from "../../testkit/src/fixtures";
import { K, M, floatIoMatmulModel, matmulModel, smallWeights, uint8Values } from "./fixtures/engine";

const small: Int8Operand = { name: "w", op: "y", values: [64, -64, 0, 3] };
const facts = (over: Partial<EngineFacts>): EngineFacts => ({ compiled: true, selfTestPassed: true, operands: [small], ...over });

describe("chooseEngine: the engine table", function () {
  it("a model that is not a refereed program stays on onnxruntime, whatever the self-test and the weights", function () {
    for (const selfTestPassed of [true, false]) {
      expect(chooseEngine(facts({ compiled: false, selfTestPassed, operands: [{ name: "w", op: "y", values: [127] }] }))).to.deep.equal({ engine: "onnxruntime", reason: "notAProgram" });
    }
  });

  it("a refereed program runs on the interpreter when the self-test failed, even with weights that cannot saturate", function () {
    expect(chooseEngine(facts({ selfTestPassed: false }))).to.deep.equal({ engine: "interpreter", reason: "selfTestFailed" });
    expect(chooseEngine(facts({ selfTestPassed: false, operands: [] }))).to.deep.equal({ engine: "interpreter", reason: "selfTestFailed" });
  });

  it("a refereed program runs on onnxruntime when the self-test passed and every int8 weight is in [-64, 64]", function () {
    expect(chooseEngine(facts({}))).to.deep.equal({ engine: "onnxruntime", reason: "cannotSaturate" });
    expect(chooseEngine(facts({ operands: [] }))).to.deep.equal({ engine: "onnxruntime", reason: "cannotSaturate" });
  });

  it("a weight of 65 or -65 anywhere sends the program to the interpreter, naming the operand", function () {
    for (const v of [65, -65, 127, -128]) {
      const choice = chooseEngine(facts({ operands: [small, { name: "fc2_w", op: "fc2", values: [0, 1, v, 2] }] }));
      expect(choice, String(v)).to.deep.equal({ engine: "interpreter", reason: "weightsMaySaturate", operand: "fc2_w" });
    }
  });

  it("an int8 operand computed at run time sends the program to the interpreter (it may hold any int8 value)", function () {
    expect(chooseEngine(facts({ operands: [small, { name: "act", op: "y" }] }))).to.deep.equal({ engine: "interpreter", reason: "operandNotConstant", operand: "act" });
  });
});

describe("int8Operands: what the gate checks in a program", function () {
  it("lists the int8 weights of every QLinearMatMul and QLinearConv, not their uint8 activations", function () {
    expect(int8Operands(selfTestProgram()).map((o) => o.name)).to.deep.equal(["b"]);
    expect(int8Operands(zooProgram(refereeMlp())).map((o) => [o.name, o.values !== undefined])).to.deep.equal([
      ["fc1_w", true],
      ["fc2_w", true],
      ["y_w", true],
    ]);
    expect(int8Operands(zooProgram(refereeCnn())).map((o) => o.name)).to.deep.equal(["conv1_w", "conv2_w", "fc1_w", "y_w"]);
  });

  it("lists an int8 operand computed at run time without values", function () {
    const p: Program = {
      version: 1,
      inputs: ["a", "b"],
      outputs: ["y"],
      tensors: [
        { name: "a", dtype: "uint8", shape: [1, 2] },
        { name: "b", dtype: "int8", shape: [2, 1] },
        { name: "y", dtype: "uint8", shape: [1, 1] },
      ],
      constants: [],
      ops: [{ op: "QLinearMatMul", a: "a", b: "b", output: "y", aZeroPoint: 0, bZeroPoints: [0], scaleBits: [0x3f800000], outZeroPoint: 0 }],
    };
    expect(int8Operands(p)).to.deep.equal([{ name: "b", op: "y" }]);
  });
});

/** Loads `bytes` on the gate's engine and releases the runner after `use`. */
async function withRunner<T>(bytes: Uint8Array, selfTestPassed: boolean, use: (r: Awaited<ReturnType<typeof loadRunner>>) => Promise<T>): Promise<T> {
  const loaded = await loadRunner(bytes, "m", { selfTestPassed });
  try {
    return await use(loaded);
  } finally {
    await loaded.runner.release();
  }
}

describe("loadRunner: with a failed self-test, a refereed program runs on the interpreter and a float model on onnxruntime", function () {
  it("compiled QLinearMatMul with small weights: the interpreter", async function () {
    await withRunner(matmulModel(smallWeights()), false, async ({ runner, choice }) => {
      expect(choice).to.deep.equal({ engine: "interpreter", reason: "selfTestFailed" });
      expect(runner.engine).to.equal("interpreter");
      expect(runner).to.be.instanceOf(InterpreterRunner);
    });
  });

  it("the float MLP fixture (not a refereed program): onnxruntime, with compileOnnx's reason", async function () {
    await withRunner(mlp(), false, async ({ runner, choice, notAProgram }) => {
      expect(choice).to.deep.equal({ engine: "onnxruntime", reason: "notAProgram" });
      expect(runner).to.be.instanceOf(ModelRunner);
      expect(notAProgram).to.equal(`input "x": dimensions must be static`); // compileOnnx's reason
    });
  });
});

describe("loadRunner: with a passed self-test, onnxruntime for weights in [-64, 64], the interpreter for a weight of 65 or -65", function () {
  it("small weights (and 64 and -64): onnxruntime", async function () {
    await withRunner(matmulModel(smallWeights({ 0: 64, 5: -64 })), true, async ({ runner, choice }) => {
      expect(choice).to.deep.equal({ engine: "onnxruntime", reason: "cannotSaturate" });
      expect(runner).to.be.instanceOf(ModelRunner);
    });
  });

  for (const v of [65, -65]) {
    it(`one weight of ${v}: the interpreter`, async function () {
      await withRunner(matmulModel(smallWeights({ 7: v })), true, async ({ runner, choice }) => {
        expect(choice).to.deep.equal({ engine: "interpreter", reason: "weightsMaySaturate", operand: "w" });
        expect(runner).to.be.instanceOf(InterpreterRunner);
      });
    });
  }

  it("the zoo models (weights in [-64, 64]): onnxruntime; the self-test model (127 and -128): the interpreter", async function () {
    this.timeout(20_000);
    for (const model of [refereeMlp(), refereeCnn()]) {
      await withRunner(model.onnx, true, async ({ choice }) => expect(choice.engine, model.name).to.equal("onnxruntime"));
    }
    await withRunner(selfTestModelBytes(), true, async ({ choice }) => expect(choice).to.deep.equal({ engine: "interpreter", reason: "weightsMaySaturate", operand: "b" }));
  });
});

/** Both runners of one model: onnxruntime's and the interpreter's. */
async function bothRunners(bytes: Uint8Array): Promise<{ ort: ModelRunner; interp: InterpreterRunner; release: () => Promise<void> }> {
  const ort = await ModelRunner.load(bytes, "m");
  const interp = InterpreterRunner.of(compileOnnx(onnx.ModelProto.decode(bytes)), "m");
  return { ort, interp, release: () => ort.release() };
}

async function expectSameBytes(bytes: Uint8Array, inputs: readonly TensorMap[]): Promise<void> {
  const { ort, interp, release } = await bothRunners(bytes);
  try {
    expect(interp.inputSpec()).to.deep.equal(ort.inputSpec());
    expect(interp.outputSpec()).to.deep.equal(ort.outputSpec());
    for (const input of inputs) {
      const canonical = encodeTensors(input);
      const theirs = await ort.runCanonical(canonical);
      expect(Buffer.from(await interp.runCanonical(canonical)).toString("hex")).to.equal(Buffer.from(theirs).toString("hex"));
    }
  } finally {
    await release();
  }
}

describe("InterpreterRunner: onnxruntime's canonical bytes wherever nothing saturates", function () {
  it("the uint8 QLinearMatMul, on five seeded inputs", async function () {
    const inputs = [1, 2, 3, 4, 5].map((seed): TensorMap => ({ a: { dtype: "uint8", shape: [M, K], data: uint8Values(seed, M * K) } }));
    await expectSameBytes(matmulModel(smallWeights()), inputs);
  });

  it("the float32-in, float32-out variant (QuantizeLinear -> QLinearMatMul -> DequantizeLinear)", async function () {
    const inputs = [6, 7, 8].map((seed): TensorMap => ({ x: { dtype: "float32", shape: [M, K], data: Float32Array.from(uint8Values(seed, M * K), (v) => v / 50 - 1) } }));
    await expectSameBytes(floatIoMatmulModel(smallWeights()), inputs);
  });

  it("the self-test model on a row of small values (no pair can saturate)", async function () {
    await expectSameBytes(selfTestModelBytes(), [{ a: { dtype: "uint8", shape: [3, 8], data: Uint8Array.from({ length: 24 }, (_, i) => (i % 3) + 1) } }]);
  });

  it("the zoo MLP and CNN, one seeded input each", async function () {
    this.timeout(30_000);
    for (const model of [refereeMlp(), refereeCnn()]) {
      await expectSameBytes(model.onnx, [{ [model.inputName]: { dtype: "uint8", shape: [...model.inputShape], data: zooInput(model, 1) } }]);
    }
  });
});

describe("InterpreterRunner: the rule's output on the self-test's saturating vectors", function () {
  it("gives the interpreter's exact values (255 and 0 where a saturating kernel gives 192 and 64)", async function () {
    const { a } = selfTestVectors();
    const runner = InterpreterRunner.of(selfTestProgram(), "selftest");
    const out = decodeTensors(await runner.runCanonical(encodeTensors({ a: { dtype: "uint8", shape: [3, 8], data: Uint8Array.from(a) } })));
    const expected = runProgram(selfTestProgram(), { a }).outputs.get("y")!;
    expect(Array.from(out.y.data as Uint8Array)).to.deep.equal(Array.from(expected.data));
    expect(Array.from(out.y.data as Uint8Array).slice(0, 2)).to.deep.equal([255, 0]);
  });
});

/** The error `work` rejects with, as the fields a claim and a log carry. */
async function refusal(work: Promise<unknown>): Promise<{ reason: string; message: string; tensor?: string }> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected an InvalidInputError").to.be.instanceOf(InvalidInputError);
  const e = err as InvalidInputError;
  return { reason: e.reason, message: e.message, tensor: e.tensor };
}

describe("InterpreterRunner: refuses an input that does not fit exactly as onnxruntime's runner does (reason and message)", function () {
  const good = uint8Values(9, M * K);
  const cases: [string, Uint8Array][] = [
    ["not a canonical tensor map", Uint8Array.of(9, 9, 9)],
    ["a truncated map", encodeTensors({ a: { dtype: "uint8", shape: [M, K], data: good } }).subarray(0, 10)],
    ["another dtype", encodeTensors({ a: { dtype: "int8", shape: [M, K], data: Int8Array.from(good, (v) => v - 128) } })],
    ["int64", encodeTensors({ a: { dtype: "int64", shape: [M, K], data: BigInt64Array.from(good, (v) => BigInt(v)) } })],
    ["another size", encodeTensors({ a: { dtype: "uint8", shape: [M, K - 1], data: good.subarray(0, M * (K - 1)) } })],
    ["another rank", encodeTensors({ a: { dtype: "uint8", shape: [M * K], data: good } })],
    ["a missing input", encodeTensors({})],
    ["an extra input", encodeTensors({ a: { dtype: "uint8", shape: [M, K], data: good }, b: { dtype: "uint8", shape: [1], data: Uint8Array.of(1) } })],
    ["another name", encodeTensors({ x: { dtype: "uint8", shape: [M, K], data: good } })],
  ];
  for (const [what, input] of cases) {
    it(what, async function () {
      const { ort, interp, release } = await bothRunners(matmulModel(smallWeights()));
      try {
        const runners: CanonicalRunner[] = [ort, interp];
        const [theirs, ours] = await Promise.all(runners.map((r) => refusal(r.runCanonical(input))));
        expect(ours).to.deep.equal(theirs);
      } finally {
        await release();
      }
    });
  }
});
