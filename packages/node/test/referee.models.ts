/**
 * The refereeable models of issue 15 (src/referee/zoo.ts): an MLP and a CNN of at least 1,000,000
 * parameters built from explicit quantized operators. They compile into refereed programs, and on
 * this CPU onnxruntime-node (the node's deterministic session settings) gives, on seeded random
 * inputs, the interpreter's output and every intermediate tensor of its trace bit for bit.
 */
import { createHash } from "node:crypto";
import { expect } from "chai";
import { onnx } from "onnx-proto";
import * as ort from "onnxruntime-node";
import { compileOnnx } from "../src/referee/compile";
import { runProgram } from "../src/referee/interpreter";
import { traceTensorNames, withTraceOutputs } from "../src/referee/ortTrace";
import type { Program } from "../src/referee/program";
import { weightsCannotSaturate } from "../src/referee/selfTest";
import { refereeCnn, refereeMlp, zooInput, type ZooModel } from "../src/referee/zoo";
import { sessionOptions } from "../src/runtime/runner";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

interface Case {
  readonly build: () => ZooModel;
  readonly sha256: string;
  readonly ops: string;
}

const CASES: readonly Case[] = [
  {
    build: refereeMlp,
    sha256: "60c50a923f95985fc6b69e20080f06cd4dd93054c0d2f9f56b396a9a82c5f81c",
    ops: "QLinearMatMul Relu QLinearMatMul Relu QLinearMatMul",
  },
  {
    build: refereeCnn,
    sha256: "86543f90adfc585419ae63680073723d3d9b4c7cb521fcc6fde7b3b9f2291e61",
    ops: "QLinearConv Relu MaxPool QLinearConv Relu MaxPool Reshape QLinearMatMul Relu QLinearMatMul",
  },
];
const SEEDS = [1, 2, 3];

/** Each model built and compiled once for the whole file. */
const built = new Map<Case, { model: ZooModel; program: Program }>();
function get(c: Case): { model: ZooModel; program: Program } {
  let b = built.get(c);
  if (!b) {
    const model = c.build();
    b = { model, program: compileOnnx(onnx.ModelProto.decode(model.onnx)) };
    built.set(c, b);
  }
  return b;
}

describe("referee models: size and shape", function () {
  for (const c of CASES) {
    it(`${c.build.name}: at least 1,000,000 parameters, all of them constants of the compiled program`, function () {
      const { model, program } = get(c);
      expect(model.params).to.be.at.least(1_000_000);
      const constants = program.constants.filter((k) => k.dtype === "int8" || k.dtype === "int32").reduce((n, k) => n + k.data.length, 0);
      expect(constants).to.equal(model.params);
      expect(program.inputs).to.deep.equal([model.inputName]);
      expect(program.outputs).to.deep.equal([model.outputName]);
      expect(program.tensors.find((t) => t.name === model.inputName)).to.deep.include({ dtype: "uint8", shape: model.inputShape });
      expect(program.tensors.find((t) => t.name === model.outputName)).to.deep.include({ dtype: "uint8", shape: model.outputShape });
    });
  }
});

describe("referee models: compileOnnx accepts them as integer programs", function () {
  for (const c of CASES) {
    it(`${c.build.name}: ${c.ops}, no float tensor`, function () {
      const { program } = get(c);
      expect(program.ops.map((o) => o.op).join(" ")).to.equal(c.ops);
      expect(program.tensors.filter((t) => t.dtype === "float32")).to.deep.equal([]);
    });
  }
});

describe("referee models: deterministic builders", function () {
  for (const c of CASES) {
    it(`${c.build.name}: the same bytes on every call, with a pinned hash`, function () {
      const { model } = get(c);
      expect(sha256(c.build().onnx)).to.equal(sha256(model.onnx));
      expect(sha256(model.onnx)).to.equal(c.sha256);
    });
  }
});

describe("referee models: weights in onnxruntime's non-saturating range", function () {
  for (const c of CASES) {
    it(`${c.build.name}: every int8 weight is in [-64, 64] (weightsCannotSaturate)`, function () {
      const weights = get(c).program.constants.filter((k) => k.dtype === "int8");
      expect(weights.length).to.be.greaterThan(0);
      for (const w of weights) expect(weightsCannotSaturate(w.data), w.name).to.equal(true);
    });
  }
});

describe("referee models: activations spread over the uint8 range", function () {
  for (const c of CASES) {
    it(`${c.build.name}: no step's output collapses to one value or piles up at 0 or 255`, function () {
      const { model, program } = get(c);
      const { trace } = runProgram(program, { [model.inputName]: zooInput(model, 1) }, { trace: true });
      for (const name of traceTensorNames(program)) {
        const data = trace.get(name)!.data;
        const distinct = new Set(data).size;
        const at255 = data.filter((v) => v === 255).length;
        expect(distinct, `${name}: distinct values`).to.be.at.least(Math.min(10, data.length));
        expect(at255 / data.length, `${name}: share at 255`).to.be.below(0.01);
      }
    });
  }
});

describe("referee models: onnxruntime equals the interpreter bit for bit", function () {
  for (const c of CASES) {
    it(`${c.build.name}: the output and every intermediate tensor, on ${SEEDS.length} seeded random inputs`, async function () {
      const { model, program } = get(c);
      const names = traceTensorNames(program);
      const plain = await ort.InferenceSession.create(model.onnx, sessionOptions());
      const traced = await ort.InferenceSession.create(withTraceOutputs(model.onnx, program), sessionOptions());
      try {
        for (const seed of SEEDS) {
          const x = zooInput(model, seed);
          const feeds = { [model.inputName]: new ort.Tensor("uint8", x, [...model.inputShape]) };
          const { outputs, trace } = runProgram(program, { [model.inputName]: x }, { trace: true });
          const ours = Array.from(outputs.get(model.outputName)!.data);
          expect(Array.from((await plain.run(feeds))[model.outputName].data as Uint8Array), `seed ${seed}: output`).to.deep.equal(ours);
          const theirs = await traced.run(feeds);
          expect(Object.keys(theirs).sort()).to.deep.equal([...names].sort());
          for (const name of names) {
            const got = theirs[name].data as Uint8Array;
            const want = trace.get(name)!.data;
            const first = want.findIndex((v, i) => got[i] !== v);
            expect(first, `seed ${seed}, ${name}: first difference at ${first}: interpreter ${want[first]}, onnxruntime ${got[first]}`).to.equal(-1);
            expect(got.length, name).to.equal(want.length);
          }
        }
      } finally {
        await plain.release();
        await traced.release();
      }
    });
  }
});
