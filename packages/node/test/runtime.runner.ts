import { expect } from "chai";
import { onnx } from "onnx-proto";
import { decodeTensors, encodeTensors, invalidClaim, type TensorMap } from "../src/codec/tensor";
import { mlp, multi, seededRandom } from "../../testkit/src/fixtures";
import { OnnxModelBuilder } from "../../testkit/src/onnxBuilder";
import { InvalidInputError, ModelLoadError, ModelRunner } from "../src/runtime/runner";

/** Rewrites a built model, for shapes and dtypes the builder deliberately does not produce. */
function edited(builder: OnnxModelBuilder, edit: (graph: onnx.IGraphProto) => void): Uint8Array {
  const model = builder.toModel();
  if (!model.graph) throw new Error("the builder made no graph");
  edit(model.graph);
  return onnx.ModelProto.encode(model).finish();
}

/** The tensor type of the graph's first input. */
function firstInputType(graph: onnx.IGraphProto): onnx.TypeProto.ITensor {
  const type = graph.input?.[0]?.type?.tensorType;
  if (!type) throw new Error("the graph has no tensor input");
  return type;
}

/** Awaits `work` and returns the InvalidInputError it must throw. */
async function invalidInput(work: Promise<unknown>): Promise<InvalidInputError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected an InvalidInputError").to.be.instanceOf(InvalidInputError);
  return err as InvalidInputError;
}

const mlpInput = (batch: number): TensorMap => {
  const next = seededRandom(42 + batch);
  return { x: { dtype: "float32", shape: [batch, 4], data: Float32Array.from({ length: batch * 4 }, () => next() * 2 - 1) } };
};

const multiInput: TensorMap = {
  ids: { dtype: "int64", shape: [4], data: BigInt64Array.of(3n, -1n, 0n, 9n) },
  scale: { dtype: "float32", shape: [], data: Float32Array.of(0.25) },
};

describe("ModelRunner.load", function () {
  it("refuses bytes that are not an ONNX model with a ModelLoadError naming the model", async function () {
    const err = await ModelRunner.load(Uint8Array.of(1, 2, 3, 4), "garbage").catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ModelLoadError);
    expect((err as ModelLoadError).label).to.equal("garbage");
    expect((err as ModelLoadError).reason).to.equal("modelUnavailable");
    expect((err as ModelLoadError).message).to.match(/^model garbage: onnxruntime cannot load it/);
  });

  it("refuses a model whose input has a dtype the canonical encoding cannot carry, naming the input", async function () {
    const b = new OnnxModelBuilder("half").input("h", "float32", [2]);
    b.node("Cast", ["h"], ["y"], { to: { int: onnx.TensorProto.DataType.FLOAT } }).output("y", "float32", [2]);
    const bytes = edited(b, (g) => {
      firstInputType(g).elemType = onnx.TensorProto.DataType.FLOAT16;
    });
    const err = await ModelRunner.load(bytes, "half").catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ModelLoadError);
    expect((err as ModelLoadError).message).to.equal(
      "model half: input \"h\" has dtype float16, supported are float32, float64, int32, int64, bool, uint8, int8",
    );
  });

  it("reports an unnamed dynamic dimension as ?", async function () {
    const b = new OnnxModelBuilder("unnamed").input("x", "float32", ["N", 2]);
    b.node("Identity", ["x"], ["y"]).output("y", "float32", ["N", 2]);
    const runner = await ModelRunner.load(
      edited(b, (g) => {
        firstInputType(g).shape = { dim: [{}, { dimValue: 2 }] };
      }),
      "unnamed",
    );
    expect(runner.inputSpec()).to.deep.equal([{ name: "x", dtype: "float32", shape: ["?", 2] }]);
    await runner.release();
  });

  it("reports an undeclared shape as null and then accepts an input of any rank", async function () {
    const b = new OnnxModelBuilder("shapeless").input("x", "float32", [1]);
    b.node("Identity", ["x"], ["y"]).output("y", "float32", [1]);
    const runner = await ModelRunner.load(
      edited(b, (g) => {
        firstInputType(g).shape = null;
      }),
      "shapeless",
    );
    expect(runner.inputSpec()).to.deep.equal([{ name: "x", dtype: "float32", shape: null }]);
    const scalar = await runner.run({ x: { dtype: "float32", shape: [], data: [1.5] } });
    const cube = await runner.run({ x: { dtype: "float32", shape: [2, 1, 2], data: [1, 2, 3, 4] } });
    expect(scalar.y.shape).to.deep.equal([]);
    expect(Array.from(cube.y.data as Float32Array)).to.deep.equal([1, 2, 3, 4]);
    await runner.release();
  });
});

describe("ModelRunner.runCanonical", function () {
  let mlpRunner: ModelRunner;
  let multiRunner: ModelRunner;
  before(async function () {
    mlpRunner = await ModelRunner.load(mlp(), "mlp");
    multiRunner = await ModelRunner.load(multi(), "multi");
  });
  after(async function () {
    await mlpRunner.release();
    await multiRunner.release();
  });

  it("returns the canonical encoding of the same outputs run() gives (float32, dynamic batch)", async function () {
    const input = mlpInput(5);
    const canonical = decodeTensors(await mlpRunner.runCanonical(encodeTensors(input)));
    expect(canonical).to.deep.equal(await mlpRunner.run(input));
    expect(canonical.logits.shape).to.deep.equal([5, 3]);
  });

  it("returns the canonical encoding of the same outputs run() gives (int64, scalar and bool)", async function () {
    const bytes = await multiRunner.runCanonical(encodeTensors(multiInput));
    const expected = await multiRunner.run(multiInput);
    expect(decodeTensors(bytes)).to.deep.equal(expected);
    expect(Buffer.from(bytes).equals(Buffer.from(encodeTensors(expected)))).to.equal(true);
  });

  it("gives the same outputs for plain arrays as for typed arrays", async function () {
    const plain: TensorMap = {
      ids: { dtype: "int64", shape: [4], data: [3n, -1n, 0n, 9n] },
      scale: { dtype: "float32", shape: [], data: [0.25] },
    };
    expect(await multiRunner.run(plain)).to.deep.equal(await multiRunner.run(multiInput));
  });
});

describe("ModelRunner determinism", function () {
  it("gives byte-identical canonical outputs for the same input, on one runner and on a second one", async function () {
    const input = encodeTensors(mlpInput(5));
    const first = await ModelRunner.load(mlp(), "mlp-1");
    const second = await ModelRunner.load(mlp(), "mlp-2");
    const a = await first.runCanonical(input);
    const b = await first.runCanonical(input);
    const c = await second.runCanonical(input);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).to.equal(true);
    await first.release();
    await second.release();
  });
});

describe("ModelRunner rejects an input that does not fit the model", function () {
  let mlpRunner: ModelRunner;
  let multiRunner: ModelRunner;
  before(async function () {
    mlpRunner = await ModelRunner.load(mlp(), "mlp");
    multiRunner = await ModelRunner.load(multi(), "multi");
  });
  after(async function () {
    await mlpRunner.release();
    await multiRunner.release();
  });

  it("when an input is missing, naming it", async function () {
    const err = await invalidInput(multiRunner.runCanonical(encodeTensors({ ids: multiInput.ids })));
    expect(err.reason).to.equal("inputDoesNotFitModel");
    expect(err.tensor).to.equal("scale");
    expect(err.message).to.equal('model multi: input "scale" is missing (the model expects "ids", "scale")');
  });

  it("when there is an input the model does not have, naming it", async function () {
    const extra = { ...mlpInput(1), y: { dtype: "float32" as const, shape: [1], data: [0] } };
    const err = await invalidInput(mlpRunner.runCanonical(encodeTensors(extra)));
    expect(err.reason).to.equal("inputDoesNotFitModel");
    expect(err.tensor).to.equal("y");
    expect(err.message).to.equal('model mlp: input "y" is not an input of the model (it expects "x")');
  });

  it("when an input has another dtype, naming both", async function () {
    const wrong: TensorMap = { x: { dtype: "int32", shape: [1, 4], data: [1, 2, 3, 4] } };
    const err = await invalidInput(mlpRunner.runCanonical(encodeTensors(wrong)));
    expect(err.reason).to.equal("inputDoesNotFitModel");
    expect(err.message).to.equal('model mlp: input "x" has dtype int32, the model expects float32');
  });

  it("when an input has another rank, including a scalar given as a vector", async function () {
    const flat = await invalidInput(mlpRunner.run({ x: { dtype: "float32", shape: [4], data: [1, 2, 3, 4] } }));
    expect(flat.reason).to.equal("inputDoesNotFitModel");
    expect(flat.message).to.equal('model mlp: input "x" has rank 1 (shape [4]), the model expects rank 2 (shape [N, 4])');
    const vector = { ...multiInput, scale: { dtype: "float32" as const, shape: [1], data: [2] } };
    const err = await invalidInput(multiRunner.runCanonical(encodeTensors(vector)));
    expect(err.reason).to.equal("inputDoesNotFitModel");
    expect(err.message).to.equal('model multi: input "scale" has rank 1 (shape [1]), the model expects rank 0 (shape [])');
  });

  it("when a fixed dimension differs, naming the dimension and both sizes", async function () {
    const wide: TensorMap = { x: { dtype: "float32", shape: [2, 5], data: new Float32Array(10) } };
    const err = await invalidInput(mlpRunner.runCanonical(encodeTensors(wide)));
    expect(err.reason).to.equal("inputDoesNotFitModel");
    expect(err.tensor).to.equal("x");
    expect(err.message).to.equal('model mlp: input "x" has size 5 in dimension 1 (shape [2, 5]), the model expects 4 (shape [N, 4])');
  });
});

describe("ModelRunner rejects bytes that are not a canonical tensor map", function () {
  let runner: ModelRunner;
  before(async function () {
    runner = await ModelRunner.load(mlp(), "mlp");
  });
  after(async function () {
    await runner.release();
  });

  it("when the bytes are random", async function () {
    const err = await invalidInput(runner.runCanonical(Uint8Array.of(7, 7, 7)));
    expect(err.reason).to.equal("undecodableInput");
    expect(err.message).to.match(/^model mlp: the input is not a canonical tensor map: .*bad version byte.*\(at byte 0\)$/);
  });

  it("when the values are truncated", async function () {
    const bytes = encodeTensors(mlpInput(1));
    const err = await invalidInput(runner.runCanonical(bytes.subarray(0, bytes.length - 1)));
    expect(err.reason).to.equal("undecodableInput");
    expect(err.message).to.match(/tensor "x" values are truncated/);
  });

  it("when the bytes are an invalid-input claim rather than a map", async function () {
    const err = await invalidInput(runner.runCanonical(invalidClaim("modelFailed")));
    expect(err.reason).to.equal("undecodableInput");
  });

  it("when run() gets values its dtype cannot hold", async function () {
    const err = await invalidInput(runner.run({ x: { dtype: "float32", shape: [1, 4], data: [1, 2, 3] } }));
    expect(err.reason).to.equal("undecodableInput");
    expect(err.message).to.match(/tensor "x": shape \[1, 4\] needs 4 values, got 3/);
  });
});

describe("ModelRunner reports a model that fails at run time", function () {
  it("as modelFailed, with onnxruntime's message, and keeps serving other inputs", async function () {
    // Reshape to a fixed [2, 2] accepts only 4 values, whatever the dynamic input dimension says.
    const b = new OnnxModelBuilder("reshape").input("x", "float32", ["N"]);
    b.initializer("shape", "int64", [2], [2n, 2n]);
    b.node("Reshape", ["x", "shape"], ["y"]).output("y", "float32", [2, 2]);
    const runner = await ModelRunner.load(b.toBytes(), "reshape");
    const err = await invalidInput(runner.runCanonical(encodeTensors({ x: { dtype: "float32", shape: [3], data: [1, 2, 3] } })));
    expect(err.reason).to.equal("modelFailed");
    expect(err.message).to.match(/^model reshape: onnxruntime failed on this input: .+/);
    const ok = await runner.run({ x: { dtype: "float32", shape: [4], data: [1, 2, 3, 4] } });
    expect(ok.y.shape).to.deep.equal([2, 2]);
    await runner.release();
  });
});
