/**
 * The engine gate in the node (issue 15): JobBook loads each model on the engine the gate allows
 * (onnxruntime, or the reference interpreter for a refereed program this node may not trust
 * onnxruntime with) and logs it; GlassboxNode runs the start-up self-test once, logs it, exposes it
 * as `referee_selftest_pass` and hands its outcome to JobBook; with a failing self-test the node
 * computes the interpreter's (true, non-saturated) output.
 */
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { decodeTensors, encodeTensors, invalidClaim } from "../src/codec/tensor";
import { startupSelfTest } from "../src/node";
import { PromNodeMetrics } from "../src/ops/metrics";
import { runProgram } from "../src/referee/interpreter";
import { compareSelfTest, selfTestModelBytes, selfTestProgram, selfTestVectors, type SelfTestResult } from "../src/referee/selfTest";
import { JobBook, type Computation } from "../src/roles/jobBook";
import { ModelRunner } from "../src/runtime/runner";
import type { ModelRef, ModelStore } from "../src/store/modelStore";
import type { JobRegistry, ModelRegistry } from "../src/typechain";
import type { JobRequestedEvent } from "../src/typechain/contracts/JobRegistry";
import { mlp } from "../../testkit/src/fixtures";
import { Mode, SAMPLE_INPUT, Status, defaultPolicy, nextEpoch, requestJob } from "../../../test/fixtures/protocol";
import { K, M, matmulModel, smallWeights, uint8Values } from "./fixtures/engine";
import { RecordingLogger, closeAll, errorsOf, rolesWorld, settle, startNode, type TestNode } from "./fixtures/roles";

/** A self-test that failed the way an AVX2 CPU without VNNI fails (4 * 32767 instead of 8 * 255 * 127). */
const failing = async (): Promise<SelfTestResult> => {
  const expected = Array.from(runProgram(selfTestProgram(), { a: selfTestVectors().a }).outputs.get("y")!.data);
  return compareSelfTest(expected, [192, ...expected.slice(1)]);
};
const passing = async (): Promise<SelfTestResult> => ({ pass: true, expected: [], actual: [] });

/** The self-test model's saturating input (uint8 [3, 8]) as a canonical map. */
const SATURATING_INPUT = encodeTensors({ a: { dtype: "uint8", shape: [3, 8], data: Uint8Array.from(selfTestVectors().a) } });

/** The interpreter's output of the self-test model on its saturating input, canonical. */
function trueSelfTestOutput(): Uint8Array {
  const y = runProgram(selfTestProgram(), { a: selfTestVectors().a }).outputs.get("y")!;
  return encodeTensors({ y: { dtype: "uint8", shape: [...y.shape], data: Uint8Array.from(y.data) } });
}

/** A JobBook over models 1.. (one per byte string), with no chain: the registry and store are stand-ins. */
function bookOf(models: readonly Uint8Array[], options: { selfTestPassed?: boolean; log?: RecordingLogger }): JobBook {
  const digests = models.map((m) => ethers.sha256(m));
  const registry = { versionOf: async (id: bigint) => ({ digest: digests[Number(id) - 1], uri: `test://${id}` }) } as unknown as ModelRegistry;
  const store = { fetch: async (ref: ModelRef) => models[digests.indexOf(ref.digest)] } as unknown as ModelStore;
  return new JobBook({} as JobRegistry, registry, store, 0, options);
}

/** Tells `book` of job `jobId` on model `modelId` with the inline `input`. */
function rememberJob(book: JobBook, jobId: bigint, modelId: bigint, input: Uint8Array): void {
  const params = { version: 1n, mode: BigInt(Mode.NONE), input: ethers.hexlify(input), inputURI: "", inputSize: 0n };
  book.remember({ jobId, modelId, params, inputHash: ethers.keccak256(input), policyVersion: 1n } as unknown as JobRequestedEvent.OutputObject);
}

async function engines(book: JobBook, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let id = 1; id <= count; id++) out.push((await book.runner(BigInt(id), 1)).engine);
  return out;
}

describe("JobBook: with a failed self-test, the interpreter for a refereed program, onnxruntime for a float model", function () {
  it("loads model 1 (a compiled QLinearMatMul) on the interpreter and model 2 (the float MLP) on onnxruntime, and logs each", async function () {
    const log = new RecordingLogger("book");
    const book = bookOf([matmulModel(smallWeights()), mlp()], { selfTestPassed: false, log });
    try {
      expect(await engines(book, 2)).to.deep.equal(["interpreter", "onnxruntime"]);
      expect(log.at("JobBook.runner").map((l) => [l.line.model, l.line.engine, l.line.reason])).to.deep.equal([
        ["1v1", "interpreter", "selfTestFailed"],
        ["2v1", "onnxruntime", "notAProgram"],
      ]);
    } finally {
      await book.release();
    }
  });

  it("treats an unknown self-test (the option left out) as failed", async function () {
    const book = bookOf([matmulModel(smallWeights())], {});
    try {
      expect(await engines(book, 1)).to.deep.equal(["interpreter"]);
    } finally {
      await book.release();
    }
  });
});

describe("JobBook: with a passed self-test, onnxruntime for weights in [-64, 64], the interpreter for 65 or -65", function () {
  it("small weights on onnxruntime; one weight of 65 and one of -65 on the interpreter", async function () {
    const log = new RecordingLogger("book");
    const book = bookOf([matmulModel(smallWeights({ 0: 64, 1: -64 })), matmulModel(smallWeights({ 3: 65 })), matmulModel(smallWeights({ 20: -65 }))], { selfTestPassed: true, log });
    try {
      expect(await engines(book, 3)).to.deep.equal(["onnxruntime", "interpreter", "interpreter"]);
      expect(log.at("JobBook.runner").map((l) => [l.line.reason, l.line.operand])).to.deep.equal([
        ["cannotSaturate", undefined],
        ["weightsMaySaturate", "w"],
        ["weightsMaySaturate", "w"],
      ]);
    } finally {
      await book.release();
    }
  });
});

describe("JobBook.compute on the interpreter: the same claims as on onnxruntime", function () {
  it("the same canonical output bytes where nothing saturates, and the same invalid-input claim for a misfit input", async function () {
    const model = matmulModel(smallWeights());
    const good = encodeTensors({ a: { dtype: "uint8", shape: [M, K], data: uint8Values(21, M * K) } });
    const misfit = encodeTensors({ a: { dtype: "uint8", shape: [M, K + 1], data: uint8Values(22, M * (K + 1)) } });
    const results: Computation[][] = [];
    for (const selfTestPassed of [false, true]) {
      const book = bookOf([model], { selfTestPassed });
      try {
        expect((await book.runner(1n, 1)).engine).to.equal(selfTestPassed ? "onnxruntime" : "interpreter");
        rememberJob(book, 1n, 1n, good);
        rememberJob(book, 2n, 1n, misfit);
        results.push([await book.compute(1n), await book.compute(2n)]);
      } finally {
        await book.release();
      }
    }
    const [interp, ort] = results;
    expect(interp[0]).to.deep.equal(ort[0]);
    expect(interp[1]).to.deep.equal(ort[1]);
    expect(interp[1]).to.deep.include({ kind: "output", bytes: invalidClaim("inputDoesNotFitModel") });
  });

  it("with a failed self-test, the self-test model's saturating input gives the interpreter's true output", async function () {
    const book = bookOf([selfTestModelBytes()], { selfTestPassed: false });
    try {
      rememberJob(book, 1n, 1n, SATURATING_INPUT);
      const result = await book.compute(1n);
      expect(result).to.deep.equal({ kind: "output", bytes: trueSelfTestOutput() });
      expect(Array.from(decodeTensors(trueSelfTestOutput()).y.data as Uint8Array).slice(0, 3)).to.deep.equal([255, 0, 128]);
    } finally {
      await book.release();
    }
  });
});

describe("startupSelfTest: the outcome logged and exposed as referee_selftest_pass", function () {
  const gauge = async (m: PromNodeMetrics) => Number(/^referee_selftest_pass (\S+)$/m.exec(await m.text())?.[1]);

  it("a pass: gauge 1, an info line", async function () {
    const log = new RecordingLogger("n");
    const metrics = new PromNodeMetrics();
    expect(await startupSelfTest(passing, log, metrics)).to.equal(true);
    expect(await gauge(metrics)).to.equal(1);
    expect(log.at("Node.selfTest").map((l) => [l.level, l.line.pass])).to.deep.equal([["info", true]]);
  });

  it("a failure: gauge 0, a warning with the first element that differs", async function () {
    const log = new RecordingLogger("n");
    const metrics = new PromNodeMetrics();
    metrics.refereeSelfTest(true);
    expect(await startupSelfTest(failing, log, metrics)).to.equal(false);
    expect(await gauge(metrics)).to.equal(0);
    const [line] = log.at("Node.selfTest");
    expect(line.level).to.equal("warn");
    expect(line.line.firstDifference).to.deep.equal({ index: 0, row: 0, column: 0, expected: 255, actual: 192 });
  });

  it("a self-test that throws counts as failed (gauge 0, an error line)", async function () {
    const log = new RecordingLogger("n");
    log.error = (line, msg) => log.lines.push({ level: "error", line, msg }); // expected here: not printed
    const metrics = new PromNodeMetrics();
    metrics.refereeSelfTest(true);
    expect(await startupSelfTest(() => Promise.reject(new Error("no onnxruntime")), log, metrics)).to.equal(false);
    expect(await gauge(metrics)).to.equal(0);
    expect(log.at("Node.selfTest").map((l) => [l.level, l.line.err])).to.deep.equal([["error", "no onnxruntime"]]);
  });
});

/**
 * The roles world with the self-test model registered as model 3 and a small-weight QLinearMatMul
 * as model 4, every executor opted in to both.
 */
async function selfTestModelWorld() {
  const world = await rolesWorld();
  const models: [string, Uint8Array][] = [
    ["selftest.onnx", selfTestModelBytes()],
    ["small.onnx", matmulModel(smallWeights())],
  ];
  for (const [name, bytes] of models) {
    const file = path.join(world.tmp, name);
    fs.writeFileSync(file, bytes);
    await (await world.models.connect(world.modelOwner).registerModel(ethers.sha256(bytes), pathToFileURL(file).href, defaultPolicy({ auditRateBps: 0 }))).wait();
  }
  for (const e of world.executors) for (const id of [3n, 4n]) await (await world.stakes.connect(e).optIn(id)).wait();
  await nextEpoch(world);
  return { ...world, selfTestModelId: 3n, smallModelId: 4n };
}

/** The engines the nodes logged for the models they loaded, as [engine, reason]. */
const loggedEngines = (nodes: TestNode[]) => nodes.flatMap((n) => n.logger.at("JobBook.runner")).map((l) => [l.line.engine, l.line.reason]);

describe("GlassboxNode: the self-test's outcome decides the engine of a refereed model with small weights", function () {
  for (const [selfTest, engine, reason] of [
    [passing, "onnxruntime", "cannotSaturate"],
    [failing, "interpreter", "selfTestFailed"],
  ] as const) {
    it(`self-test ${selfTest === passing ? "passed" : "failed"}: ${engine}, and the job finalizes with onnxruntime's bytes either way`, async function () {
      const world = await loadFixture(selfTestModelWorld);
      const nodes: TestNode[] = [];
      try {
        for (const signer of world.executors) nodes.push(await startNode(world, { signer, executor: true, selfTest }));
        const input = encodeTensors({ a: { dtype: "uint8", shape: [M, K], data: uint8Values(31, M * K) } });
        const { jobId } = await requestJob(world, { modelId: world.smallModelId, mode: Mode.NONE, input });
        await settle(nodes);
        const [status, , output] = await world.jobs.resultOf(jobId);
        expect(status).to.equal(Status.Finalized);
        const reference = await ModelRunner.load(matmulModel(smallWeights()), "reference");
        try {
          expect(ethers.getBytes(output)).to.deep.equal(await reference.runCanonical(input));
        } finally {
          await reference.release();
        }
        expect(loggedEngines(nodes)).to.deep.equal([[engine, reason]]);
        expect(errorsOf(nodes)).to.deep.equal([]);
      } finally {
        await closeAll(nodes);
      }
    });
  }
});

describe("GlassboxNode: a forced failing self-test", function () {
  it("runs once at init (gauge 0, logged), and the executor submits the interpreter's true output of the self-test model", async function () {
    const world = await loadFixture(selfTestModelWorld);
    const metrics = new PromNodeMetrics();
    const nodes: TestNode[] = [];
    try {
      for (const signer of world.executors) nodes.push(await startNode(world, { signer, executor: true, selfTest: failing, metrics: signer === world.executors[0] ? metrics : undefined }));
      expect(/^referee_selftest_pass 0$/m.test(await metrics.text())).to.equal(true);
      for (const n of nodes) expect(n.logger.at("Node.selfTest").map((l) => l.level)).to.deep.equal(["warn"]);
      const { jobId, assigned } = await requestJob(world, { modelId: world.selfTestModelId, mode: Mode.NONE, input: SATURATING_INPUT });
      await settle(nodes);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      expect(ethers.getBytes(output)).to.deep.equal(trueSelfTestOutput());
      expect(nodes.find((n) => n.signer.address === assigned[0])!.logger.at("JobBook.runner")).to.have.length(1);
      expect(loggedEngines(nodes)).to.deep.equal([["interpreter", "selfTestFailed"]]);
      expect(errorsOf(nodes)).to.deep.equal([]);
    } finally {
      await closeAll(nodes);
    }
  });

  it("leaves a float model on onnxruntime: its output is onnxruntime's", async function () {
    const world = await loadFixture(selfTestModelWorld);
    const nodes: TestNode[] = [];
    try {
      for (const signer of world.executors) nodes.push(await startNode(world, { signer, executor: true, selfTest: failing }));
      const { jobId } = await requestJob(world, { modelId: world.mlpId, mode: Mode.NONE });
      await settle(nodes);
      const [status, , output] = await world.jobs.resultOf(jobId);
      expect(status).to.equal(Status.Finalized);
      const reference = await ModelRunner.load(mlp(), "reference");
      try {
        expect(ethers.getBytes(output)).to.deep.equal(await reference.runCanonical(SAMPLE_INPUT));
      } finally {
        await reference.release();
      }
      expect(loggedEngines(nodes)).to.deep.equal([["onnxruntime", "notAProgram"]]);
    } finally {
      await closeAll(nodes);
    }
  });
});
