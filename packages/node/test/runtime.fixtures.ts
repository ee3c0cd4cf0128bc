import { expect } from "chai";
import { onnx } from "onnx-proto";
import { CONV_PADDING, FIXTURES, conv, convWeights, mlp, mlpWeights, multi, seededRandom } from "../../testkit/src/fixtures";
import { OnnxBuilderError, OnnxModelBuilder, IR_VERSION, OPSET_VERSION } from "../../testkit/src/onnxBuilder";
import { ModelRunner } from "../src/runtime/runner";

/** Float32 inputs in [-2, 2) from a pinned seed. */
function randomInputs(seed: number, count: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: count }, () => next() * 4 - 2);
}

/** The MLP's forward pass in plain TypeScript (float64 arithmetic on the model's float32 weights). */
function mlpReference(x: Float32Array, batch: number): number[] {
  const { w1, b1, w2, b2 } = mlpWeights();
  const out: number[] = [];
  for (let n = 0; n < batch; n++) {
    const hidden = b1.map((b, j) => Math.max(0, b + [0, 1, 2, 3].reduce((s, i) => s + x[n * 4 + i] * w1[i * 8 + j], 0)));
    for (let k = 0; k < 3; k++) out.push(b2[k] + hidden.reduce((s, h, j) => s + h * w2[j * 3 + k], 0));
  }
  return out;
}

/** The conv model in plain TypeScript: zero-padded 3x3 convolution, ReLU, mean over the 8x8 map. */
function convReference(image: Float32Array): number[] {
  const { kernel, bias } = convWeights();
  const pixel = (y: number, x: number) => (y < 0 || y >= 8 || x < 0 || x >= 8 ? 0 : image[y * 8 + x]);
  return [0, 1].map((f) => {
    let total = 0;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        let acc = bias[f];
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) acc += pixel(y + ky - CONV_PADDING, x + kx - CONV_PADDING) * kernel[f * 9 + ky * 3 + kx];
        }
        total += Math.max(0, acc);
      }
    }
    return total / 64;
  });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tolerance: number) {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}: ${actual[i]} vs ${expected[i]}`).to.be.at.most(tolerance);
  }
}

describe("OnnxModelBuilder", function () {
  it("builds byte-identical models on every call", function () {
    for (const build of Object.values(FIXTURES)) expect(Buffer.from(build()).equals(Buffer.from(build()))).to.equal(true);
  });

  it("writes IR version 7 and opset 13 of the default domain", function () {
    const model = onnx.ModelProto.decode(mlp());
    expect(Number(model.irVersion)).to.equal(IR_VERSION).and.to.equal(7);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).to.deep.equal([["", OPSET_VERSION]]);
  });

  it("declares symbolic dimensions by name and fixed ones by size", function () {
    const input = onnx.ModelProto.decode(mlp()).graph?.input?.[0];
    const dims = input?.type?.tensorType?.shape?.dim ?? [];
    expect(dims.map((d) => d.dimParam || Number(d.dimValue))).to.deep.equal(["N", 4]);
  });

  it("refuses an initializer whose value count does not match its dims", function () {
    const b = new OnnxModelBuilder("bad");
    expect(() => b.initializer("w", "float32", [2, 2], [1, 2, 3])).to.throw(OnnxBuilderError, /dims \[2, 2\] need 4 values, got 3/);
  });

  it("refuses a tensor name defined twice", function () {
    const b = new OnnxModelBuilder("bad").input("x", "float32", [1]);
    expect(() => b.node("Relu", ["x"], ["x"])).to.throw(OnnxBuilderError, /"x" is defined twice/);
  });

  it("refuses an output that no node produces", function () {
    const b = new OnnxModelBuilder("bad").input("x", "float32", [1]).output("y", "float32", [1]);
    expect(() => b.toBytes()).to.throw(OnnxBuilderError, /output "y" is not produced/);
  });
});

describe("the mlp fixture", function () {
  let runner: ModelRunner;
  before(async function () {
    runner = await ModelRunner.load(mlp(), "mlp");
  });
  after(async function () {
    await runner.release();
  });

  it("takes float32 x [N, 4] and gives float32 logits [N, 3]", function () {
    expect(runner.inputSpec()).to.deep.equal([{ name: "x", dtype: "float32", shape: ["N", 4] }]);
    expect(runner.outputSpec()).to.deep.equal([{ name: "logits", dtype: "float32", shape: ["N", 3] }]);
  });

  for (const batch of [1, 5]) {
    it(`matches a plain TypeScript forward pass within 1e-5 for a batch of ${batch}`, async function () {
      const x = randomInputs(100 + batch, batch * 4);
      const { logits } = await runner.run({ x: { dtype: "float32", shape: [batch, 4], data: x } });
      expect(logits.dtype).to.equal("float32");
      expect(logits.shape).to.deep.equal([batch, 3]);
      expectClose(logits.data as Float32Array, mlpReference(x, batch), 1e-5);
    });
  }
});

describe("the conv fixture", function () {
  let runner: ModelRunner;
  before(async function () {
    runner = await ModelRunner.load(conv(), "conv");
  });
  after(async function () {
    await runner.release();
  });

  it("takes float32 image [1, 1, 8, 8] and gives float32 features [1, 2]", function () {
    expect(runner.inputSpec()).to.deep.equal([{ name: "image", dtype: "float32", shape: [1, 1, 8, 8] }]);
    expect(runner.outputSpec()).to.deep.equal([{ name: "features", dtype: "float32", shape: [1, 2] }]);
  });

  it("matches a plain TypeScript convolution, ReLU and average pool within 1e-5", async function () {
    const image = randomInputs(7, 64);
    const { features } = await runner.run({ image: { dtype: "float32", shape: [1, 1, 8, 8], data: image } });
    expect(features.shape).to.deep.equal([1, 2]);
    const expected = convReference(image);
    expect(expected.some((v) => v > 0), "the reference must not be all zeros").to.equal(true);
    expectClose(features.data as Float32Array, expected, 1e-5);
  });
});

describe("the multi fixture", function () {
  let runner: ModelRunner;
  before(async function () {
    runner = await ModelRunner.load(multi(), "multi");
  });
  after(async function () {
    await runner.release();
  });

  it("takes int64 ids [N] and a float32 scalar scale, and gives int64, float32 scalar and bool outputs", function () {
    expect(runner.inputSpec()).to.deep.equal([
      { name: "ids", dtype: "int64", shape: ["N"] },
      { name: "scale", dtype: "float32", shape: [] },
    ]);
    expect(runner.outputSpec()).to.deep.equal([
      { name: "doubled", dtype: "int64", shape: ["N"] },
      { name: "sum", dtype: "float32", shape: [] },
      { name: "positive", dtype: "bool", shape: ["N"] },
    ]);
  });

  it("doubles the ids exactly, sums them times the scale and flags the positive ones", async function () {
    const ids = [5n, -3n, 0n, 1000n, 7n];
    const out = await runner.run({
      ids: { dtype: "int64", shape: [5], data: BigInt64Array.from(ids) },
      scale: { dtype: "float32", shape: [], data: Float32Array.of(0.5) },
    });
    expect(Array.from(out.doubled.data as BigInt64Array)).to.deep.equal(ids.map((v) => v * 2n));
    expect(out.doubled.shape).to.deep.equal([5]);
    expect(out.sum).to.deep.equal({ dtype: "float32", shape: [], data: Float32Array.of(504.5) });
    expect(out.positive).to.deep.equal({ dtype: "bool", shape: [5], data: Uint8Array.of(1, 0, 0, 1, 1) });
  });

  it("keeps int64 values beyond 2^53 exact", async function () {
    const ids = [2n ** 61n + 1n, -(2n ** 62n) + 3n];
    const out = await runner.run({
      ids: { dtype: "int64", shape: [2], data: BigInt64Array.from(ids) },
      scale: { dtype: "float32", shape: [], data: Float32Array.of(1) },
    });
    expect(Array.from(out.doubled.data as BigInt64Array)).to.deep.equal([2n ** 62n + 2n, -(2n ** 63n) + 6n]);
  });

  it("gives empty outputs and a zero sum for an empty batch", async function () {
    const out = await runner.run({ ids: { dtype: "int64", shape: [0], data: [] }, scale: { dtype: "float32", shape: [], data: [2] } });
    expect(out.doubled.shape).to.deep.equal([0]);
    expect(out.positive.shape).to.deep.equal([0]);
    expect(Array.from(out.sum.data as Float32Array)).to.deep.equal([0]);
  });

  it("accepts a batch of one id with a scalar scale given as a plain array", async function () {
    const out = await runner.run({ ids: { dtype: "int64", shape: [1], data: [-4n] }, scale: { dtype: "float32", shape: [], data: [3] } });
    expect(Array.from(out.doubled.data as BigInt64Array)).to.deep.equal([-8n]);
    expect(Array.from(out.sum.data as Float32Array)).to.deep.equal([-12]);
    expect(Array.from(out.positive.data as Uint8Array)).to.deep.equal([0]);
  });
});
