/**
 * The client SDK in a real browser (issue 13): its core (the tensor codec, the tolerance rule,
 * contract calls, result decoding, hash checks, typed errors with decoded reverts) runs in headless
 * Chromium as a web page would use it, against a Hardhat node over JSON-RPC.
 *
 *   - esbuild bundles packages/node/src/sdk (through fixtures/entry.ts, which adds the ethers
 *     provider and wallet a page needs) for platform "browser", with no Node polyfill: an import of a
 *     `node:` module, or of anything else only Node has, fails the bundle;
 *   - `hardhat node` runs on a free port in its own process group, and this process deploys the
 *     protocol on it over JSON-RPC (deploy/protocol.ts), registers a model and stakes an executor;
 *   - a local HTTP server serves the page, the bundle, the model's bytes, a job's input and its
 *     outputs; the page calls the Hardhat node directly (it answers CORS preflights);
 *   - Chromium (Debian's package, /usr/bin/chromium, driven by playwright-core: no browser download)
 *     opens the page, and each test runs SDK code in it with `page.evaluate`. Node plays the
 *     protocol's other parties (assigns the job, posts the executor's output) between the steps.
 *
 * What the page returns is compared with what Node computes with the same modules, so a browser
 * that ran other code, or none, fails. No uncaught error may reach the page.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { build, type Metafile } from "esbuild";
import { HDNodeWallet, keccak256, MaxUint256, sha256, toQuantity, toUtf8Bytes, type JsonRpcProvider } from "ethers";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS } from "./fixtures/chromium";
import { deployProtocol, DEVNET_PARAMS, type Protocol } from "../../deploy/protocol";
import { freePort, HARDHAT_MNEMONIC, startChain } from "../../scripts/devnet/chain";
import { ProcessGroup } from "../../scripts/devnet/processes";
import { compareOutputs, decodeTensors, encodeTensors, modesMask, nameOf, Role, Status, type ModelPolicy, type ProtocolAddresses, type TensorMap, type TolerancePolicy } from "../../packages/node/src/sdk";

type BundledSdk = typeof import("./fixtures/entry");

declare global {
  interface Window {
    /** The bundle's exports (esbuild's `globalName`). */
    GlassboxSDK: BundledSdk;
  }
}

const ROOT = path.resolve(__dirname, "..", "..");
const ENTRY = path.join(__dirname, "fixtures", "entry.ts");
const STEP_MS = 120_000;
const TOKEN = 10n ** 18n;

/** A "model" the page's runner recognises by its bytes: y = 2x, label = argmax(x). */
const MODEL_BYTES = toUtf8Bytes("glassbox browser test model: y = 2x, label = argmax(x)");
const POLICY: ModelPolicy = {
  allowedModes: modesMask("none"),
  exact: false,
  auditRateBps: 0,
  maxInputBytes: 4096,
  minFee: 10n ** 16n,
  runtime: 0,
  absTolerance: 10n ** 8n, // 1e-4
  relTolerance: 10n ** 9n, // 1e-3
  schemaHash: keccak256(toUtf8Bytes("schema:browser-test")),
};

/** The job's input as the page passes it; Node serves its own encoding of it at /inputs/x.bin. */
const INPUT_VALUES = [0.5, -1, 2, 3.25];
const INPUT: TensorMap = { x: { dtype: "float32", shape: [1, 4], data: INPUT_VALUES } };
const HONEST = encodeTensors({ y: { dtype: "float32", shape: [1, 4], data: INPUT_VALUES.map((v) => 2 * v) }, label: { dtype: "int64", shape: [1], data: [3n] } });
/** What the executor posts: y off by 2e-5 per element (within the policy's 1e-4), the label exact. */
const POSTED = encodeTensors({ y: { dtype: "float32", shape: [1, 4], data: INPUT_VALUES.map((v) => 2 * v + 2e-5) }, label: { dtype: "int64", shape: [1], data: [3n] } });
/** Other bytes than the posted hash commits to, served at the second job's output URI. */
const TAMPERED = encodeTensors({ y: { dtype: "float32", shape: [1, 4], data: [9, 9, 9, 9] }, label: { dtype: "int64", shape: [1], data: [0n] } });

function progress(message: string): void {
  console.log(`      [browser] ${message}`);
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** The protocol on the Hardhat node: its parties are the node's funded development accounts. */
interface Chain {
  url: string;
  chainId: bigint;
  provider: JsonRpcProvider;
  protocol: Protocol;
  addresses: ProtocolAddresses;
  deploymentBlock: number;
  admin: HDNodeWallet;
  requester: HDNodeWallet;
  executor: HDNodeWallet;
  modelOwner: HDNodeWallet;
  modelId: bigint;
}

function accountOf(index: number, provider: JsonRpcProvider): HDNodeWallet {
  return HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${index}`).connect(provider);
}

/** Deploys and wires the protocol, registers the test model (served at `origin`) and stakes one executor opted in to it. */
async function deployOn(url: string, provider: JsonRpcProvider, origin: string): Promise<Chain> {
  const [admin, requester, modelOwner, executor] = [0, 1, 2, 3].map((i) => accountOf(i, provider));
  const deploymentBlock = await provider.getBlockNumber();
  const protocol = await deployProtocol(admin, DEVNET_PARAMS);
  const { token, models, stakes, jobs } = protocol;
  await (await token.mint(requester.address, 100n * TOKEN)).wait();
  await (await token.mint(executor.address, 1_000n * TOKEN)).wait();
  await (await token.connect(executor).approve(await stakes.getAddress(), MaxUint256)).wait();
  await (await stakes.connect(executor).stake(Role.EXECUTOR, 200n * TOKEN)).wait();
  await (await models.connect(modelOwner).registerModel(sha256(MODEL_BYTES), `${origin}/model.bin`, POLICY)).wait();
  const modelId = await models.modelCount();
  await (await stakes.connect(executor).optIn(modelId)).wait();
  // Draws count the stakes as they stood when the current epoch began: move into the next one.
  const epoch = Number(await stakes.EPOCH_LENGTH());
  const now = (await provider.getBlock("latest"))!.timestamp;
  await provider.send("evm_setNextBlockTimestamp", [now - (now % epoch) + epoch]);
  await provider.send("evm_mine", []);
  const addresses: ProtocolAddresses = {
    token: await token.getAddress(),
    modelRegistry: await models.getAddress(),
    stakeManager: await stakes.getAddress(),
    jobRegistry: await jobs.getAddress(),
    disputeManager: await protocol.disputes.getAddress(),
    quorumManager: await protocol.quorum.getAddress(),
    paymentVault: await protocol.vault.getAddress(),
  };
  const chainId = (await provider.getNetwork()).chainId;
  return { url, chainId, provider, protocol, addresses, deploymentBlock, admin, requester, executor, modelOwner, modelId };
}

/** Assigns `jobId` (mining past its draw first) and posts `output`'s hash with `uri` as its executor. */
async function postResult(chain: Chain, jobId: bigint, output: Uint8Array, uri: string): Promise<void> {
  const { jobs } = chain.protocol;
  const target = Number((await jobs.jobOf(jobId)).auditTarget);
  const head = await chain.provider.getBlockNumber();
  if (head <= target) await chain.provider.send("hardhat_mine", [toQuantity(target - head + 1)]);
  const receipt = (await (await jobs.connect(chain.admin).assign(jobId)).wait())!;
  const assigned = receipt.logs.map((l) => jobs.interface.parseLog(l)).find((p) => p?.name === "JobAssigned");
  expect(assigned?.args.executors, `job ${jobId} was not assigned to the staked executor`).to.deep.equal([chain.executor.address]);
  await (await jobs.connect(chain.executor).submitResultRef(jobId, keccak256(output), uri)).wait();
}

/** Serves the page, the bundle and the files of `files` (path -> bytes) on 127.0.0.1; returns its origin. */
async function serve(bundle: () => string, files: Map<string, Uint8Array>): Promise<{ server: http.Server; origin: string }> {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>Glassbox SDK in a browser</title></head><body><script src="/sdk.js"></script></body></html>`;
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const file = files.get(url.pathname);
    if (url.pathname === "/") res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(page);
    else if (url.pathname === "/sdk.js") res.writeHead(200, { "Content-Type": "text/javascript; charset=utf-8" }).end(bundle());
    else if (file) res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": file.length }).end(file);
    else if (url.pathname === "/favicon.ico") res.writeHead(204).end();
    else res.writeHead(404).end();
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return { server, origin: `http://127.0.0.1:${port}` };
}

describe("GlassboxSDK in a browser (headless Chromium, bundled by esbuild)", function () {
  this.timeout(STEP_MS);

  let tmp: string;
  let bundleText = "";
  let metafile: Metafile;
  const group = new ProcessGroup();
  let chain: Chain;
  let chainProvider: JsonRpcProvider | undefined;
  let server: http.Server | undefined;
  let origin: string;
  const files = new Map<string, Uint8Array>();
  let context: BrowserContext | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  /** The page's client settings: the chain's URL and id, the deployment, the requester's key. */
  const settings = () => ({
    rpc: chain.url,
    chainId: chain.chainId.toString(),
    deployment: { contracts: chain.addresses, deploymentBlock: chain.deploymentBlock },
    key: chain.requester.privateKey,
    origin,
  });

  function expectNoPageErrors(): void {
    expect(pageErrors, "uncaught errors in the page").to.deep.equal([]);
  }

  /** Kills the Hardhat node's process group should this process exit without running `after`. */
  const killChainOnExit = () => group.signal("chain", "SIGKILL");

  before(async function () {
    // Starting a Hardhat node and Chromium beside the rest of the suite can take a while on two cores.
    this.timeout(2 * STEP_MS);
    if (!fs.existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: this test needs Debian's Chromium; install it with \`apt-get install -y chromium\` (.ci/run does)`);
    }
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-browser-"));

    let t = Date.now();
    try {
      const result = await build({ entryPoints: [ENTRY], absWorkingDir: ROOT, bundle: true, platform: "browser", format: "iife", globalName: "GlassboxSDK", target: "es2022", write: false, metafile: true, logLevel: "silent",
        // node_modules may be a symlink (CI's copies of the tree link the checkout's): keep paths as they are under ROOT.
        preserveSymlinks: true });
      bundleText = result.outputFiles[0].text;
      metafile = result.metafile;
    } catch (err) {
      const errors = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors ?? [];
      const lines = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}: ` : ""}${e.text}`);
      throw new Error(`the SDK does not bundle for the browser (esbuild, platform "browser", no Node polyfills):\n  ${lines.join("\n  ") || String(err)}`);
    }
    progress(`bundled the SDK for the browser: ${(bundleText.length / 1024).toFixed(0)} KiB from ${Object.keys(metafile.inputs).length} modules in ${elapsed(t)}`);

    ({ server, origin } = await serve(() => bundleText, files));
    files.set("/model.bin", MODEL_BYTES);
    files.set("/inputs/x.bin", encodeTensors(INPUT));
    files.set("/outputs/posted.bin", POSTED);
    files.set("/outputs/tampered.bin", TAMPERED);

    t = Date.now();
    const port = await freePort();
    process.once("exit", killChainOnExit);
    const started = await startChain(group, { root: ROOT, port, logFile: path.join(tmp, "hardhat-node.log"), kind: "hardhat", startTimeoutMs: 90_000 });
    chainProvider = started.provider;
    progress(`hardhat node answers at ${started.url} after ${elapsed(t)}`);
    t = Date.now();
    chain = await deployOn(started.url, started.provider, origin);
    progress(`protocol deployed, model ${chain.modelId} registered, one executor staked, in ${elapsed(t)}`);

    t = Date.now();
    context = await chromium.launchPersistentContext(path.join(tmp, "chromium-profile"), { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (err) => pageErrors.push(`${err.name}: ${err.message}`));
    page.on("console", (msg) => {
      if (msg.type() === "error") progress(`page console error: ${msg.text()}`);
    });
    await page.goto(`${origin}/`);
    progress(`Chromium ${context.browser()?.version() ?? ""} opened the page in ${elapsed(t)}`);
  });

  after(async function () {
    await context?.close().catch(() => undefined);
    chainProvider?.destroy();
    await group.stopAll();
    process.off("exit", killChainOnExit);
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("bundles the SDK for platform browser (no Node built-in, no polyfill) and the page runs it without Node's globals", async function () {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs).to.include.members(["packages/node/src/sdk/client.ts", "packages/node/src/codec/tensor.ts", "packages/node/src/verify/tolerance.ts", "packages/node/src/sdk/reverts.ts"]);
    // ethers' browser build: its package.json maps crypto.js (Node's crypto) to crypto-browser.js.
    expect(inputs).to.include("node_modules/ethers/lib.esm/crypto/crypto-browser.js");
    expect(inputs.filter((f) => f.startsWith("node:") || !/^(packages\/node\/src\/|test\/browser\/fixtures\/|node_modules\/)/.test(f))).to.deep.equal([]);
    const seen = await page.evaluate(() => ({
      title: document.title,
      userAgent: navigator.userAgent,
      exports: Object.keys(window.GlassboxSDK).sort(),
      nodeGlobals: { process: typeof (globalThis as Record<string, unknown>).process, Buffer: typeof (globalThis as Record<string, unknown>).Buffer, require: typeof (globalThis as Record<string, unknown>).require },
    }));
    expect(seen.title).to.equal("Glassbox SDK in a browser");
    expect(seen.userAgent).to.match(/HeadlessChrome\//);
    expect(seen.exports).to.include.members(["GlassboxClient", "GlassboxError", "encodeTensors", "decodeTensors", "compareOutputs", "decodeRevert", "JsonRpcProvider", "Wallet"]);
    expect(seen.nodeGlobals).to.deep.equal({ process: "undefined", Buffer: "undefined", require: "undefined" });
    expectNoPageErrors();
  });

  it("encodes tensors to the same bytes as Node and decodes them back", async function () {
    const fromPage = await page.evaluate(() => {
      const sdk = window.GlassboxSDK;
      const tensors = {
        x: { dtype: "float32" as const, shape: [1, 4], data: [0.5, -1, 2, 3.25] },
        ids: { dtype: "int64" as const, shape: [3], data: [1n, -2n, 2n ** 40n] },
        mask: { dtype: "bool" as const, shape: [2], data: [true, false] },
      };
      const bytes = sdk.encodeTensors(tensors);
      const decoded = sdk.decodeTensors(bytes);
      return {
        hash: sdk.keccak256(bytes),
        length: bytes.length,
        decoded: Object.fromEntries(Object.entries(decoded).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as ArrayLike<number | bigint>, String) }])),
      };
    });
    const inNode = encodeTensors({
      x: { dtype: "float32", shape: [1, 4], data: [0.5, -1, 2, 3.25] },
      ids: { dtype: "int64", shape: [3], data: [1n, -2n, 2n ** 40n] },
      mask: { dtype: "bool", shape: [2], data: [true, false] },
    });
    expect(fromPage.length).to.equal(inNode.length);
    expect(fromPage.hash).to.equal(keccak256(inNode));
    expect(fromPage.decoded).to.deep.equal({
      x: { dtype: "float32", shape: [1, 4], data: ["0.5", "-1", "2", "3.25"] },
      ids: { dtype: "int64", shape: [3], data: ["1", "-2", String(2n ** 40n)] },
      mask: { dtype: "bool", shape: [2], data: ["1", "0"] },
    });
    expectNoPageErrors();
  });

  it("compares outputs under a tolerance policy as Node does: floats within and beyond it, integers and exact policies bit for bit", async function () {
    const float = (data: number[]) => encodeTensors({ y: { dtype: "float32", shape: [data.length], data } });
    const ints = (data: bigint[]) => encodeTensors({ n: { dtype: "int64", shape: [data.length], data } });
    const loose: TolerancePolicy = { exact: false, absTolerance: 10n ** 8n, relTolerance: 0n };
    const exact: TolerancePolicy = { exact: true, absTolerance: 0n, relTolerance: 0n };
    const cases = [
      { name: "float within", claimed: float([1, 2.00005, 3]), computed: float([1, 2, 3]), policy: loose },
      { name: "float beyond", claimed: float([1, 2, 3.01]), computed: float([1, 2, 3]), policy: loose },
      { name: "int64 equal", claimed: ints([7n, -1n]), computed: ints([7n, -1n]), policy: loose },
      { name: "int64 differ", claimed: ints([7n, 5n]), computed: ints([7n, -1n]), policy: loose },
      { name: "exact float differ", claimed: float([1, 2.00005]), computed: float([1, 2]), policy: exact },
    ];
    const asHex = cases.map((c) => ({ name: c.name, claimed: Array.from(c.claimed), computed: Array.from(c.computed), policy: { exact: c.policy.exact, abs: c.policy.absTolerance.toString(), rel: c.policy.relTolerance.toString() } }));
    const fromPage = await page.evaluate((list) => {
      const sdk = window.GlassboxSDK;
      return list.map((c) => {
        try {
          const policy = { exact: c.policy.exact, absTolerance: BigInt(c.policy.abs), relTolerance: BigInt(c.policy.rel) };
          return { name: c.name, result: sdk.compareOutputs(Uint8Array.from(c.claimed), Uint8Array.from(c.computed), policy) };
        } catch (err) {
          return { name: c.name, threw: String(err) };
        }
      });
    }, asHex);
    const inNode = cases.map((c) => ({ name: c.name, result: JSON.parse(JSON.stringify(compareOutputs(c.claimed, c.computed, c.policy))) as unknown }));
    expect(fromPage).to.deep.equal(inNode);
    expect(fromPage.map((r) => ("result" in r ? r.result?.equal : r.threw))).to.deep.equal([true, false, true, false, false]);
    expectNoPageErrors();
  });

  it("connects to the deployment over the Hardhat node's JSON-RPC and reads the registered model", async function () {
    const model = await page.evaluate(async ({ rpc, chainId, deployment }) => {
      const sdk = window.GlassboxSDK;
      const network = sdk.Network.from(BigInt(chainId));
      const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, cacheTimeout: -1 });
      const client = await sdk.GlassboxClient.connect({ deployment }, provider);
      const m = await client.model(1n);
      provider.destroy();
      return { readOnly: client.readOnly, owner: m.owner, versions: m.versions, policyVersion: m.policyVersion, policy: Object.fromEntries(Object.entries(m.policy).map(([k, v]) => [k, String(v)])) };
    }, settings());
    expect(model).to.deep.equal({
      readOnly: true,
      owner: chain.modelOwner.address,
      versions: 1,
      policyVersion: 1,
      policy: Object.fromEntries(Object.entries(POLICY).map(([k, v]) => [k, String(v)])),
    });
    expectNoPageErrors();
  });

  let firstJob: bigint;

  it("requests a job with a Wallet signer (approves the fee, sends the request) and reads its status", async function () {
    const jobCount = await chain.protocol.jobs.jobCount();
    const requested = await page.evaluate(async ({ rpc, chainId, deployment, key, origin }) => {
      const sdk = window.GlassboxSDK;
      const network = sdk.Network.from(BigInt(chainId));
      // ethers' default response cache (250 ms), as a page gets it: the approve and the request go out
      // back to back, and the client must not reuse the approve's nonce that the cache still holds.
      const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, pollingInterval: 250 });
      const client = await sdk.GlassboxClient.connect({ deployment }, new sdk.Wallet(key, provider));
      const input = { x: { dtype: "float32" as const, shape: [1, 4], data: [0.5, -1, 2, 3.25] } };
      const r = await client.request({ model: 1n, input, mode: "none", inputUri: `${origin}/inputs/x.bin` });
      const job = await client.jobs.jobOf(r.jobId);
      const status = sdk.nameOf(sdk.Status, Number(job.status));
      provider.destroy();
      return { jobId: r.jobId.toString(), fee: r.fee.toString(), txHash: r.txHash, inputUri: r.inputUri, status, from: await client.address() };
    }, settings());
    firstJob = BigInt(requested.jobId);
    expect(firstJob).to.equal(jobCount + 1n);
    expect(requested.status).to.equal("Unassigned");
    expect(requested.from).to.equal(chain.requester.address);
    // What Node reads of the same job on the chain: the page's request, by reference, under the hash of Node's encoding.
    const tx = await chain.provider.getTransaction(requested.txHash);
    expect(tx?.from).to.equal(chain.requester.address);
    const job = await chain.protocol.jobs.jobOf(firstJob);
    expect(nameOf(Status, Number(job.status))).to.equal("Unassigned");
    expect(job.requester).to.equal(chain.requester.address);
    expect(job.fee).to.equal(BigInt(requested.fee));
    const [event] = await chain.protocol.jobs.queryFilter(chain.protocol.jobs.filters.JobRequested(firstJob));
    expect(event.args.inputHash).to.equal(keccak256(files.get("/inputs/x.bin")!));
    expect(event.args.params.inputURI).to.equal(`${origin}/inputs/x.bin`);
    expect(requested.inputUri).to.equal(`${origin}/inputs/x.bin`);
    expect(await chain.protocol.token.balanceOf(chain.requester.address)).to.equal(100n * TOKEN - job.fee);
    expectNoPageErrors();
  });

  it("follows the job to Finalized, reads its output by URI under its keccak256 and re-checks it with a runner under the model's tolerance", async function () {
    await postResult(chain, firstJob, POSTED, `${origin}/outputs/posted.bin`);
    const seen = await page.evaluate(
      async ({ rpc, chainId, deployment, jobId, modelText }) => {
        const sdk = window.GlassboxSDK;
        const network = sdk.Network.from(BigInt(chainId));
        const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, cacheTimeout: -1 });
        const client = await sdk.GlassboxClient.connect({ deployment }, provider);
        const kinds: string[] = [];
        const final = await client.wait(BigInt(jobId), { pollMs: 250, timeoutMs: 60_000, onProgress: (e) => kinds.push(e.kind) });
        const result = await client.result(BigInt(jobId));
        // The page's own "model": it checks the bytes it was given, then computes y = 2x and argmax.
        const runner = {
          async run(modelBytes: Uint8Array, inputs: Record<string, { data: ArrayLike<number | bigint> }>) {
            if (new TextDecoder().decode(modelBytes) !== modelText) throw new Error("the runner got other model bytes");
            const x = Array.from(inputs.x.data as ArrayLike<number>);
            const label = x.indexOf(Math.max(...x));
            return { y: { dtype: "float32" as const, shape: [1, 4], data: x.map((v) => 2 * v) }, label: { dtype: "int64" as const, shape: [1], data: [BigInt(label)] } };
          },
        };
        const verification = await client.verify(BigInt(jobId), runner);
        provider.destroy();
        return {
          kinds,
          final: final.status === "Finalized" ? { status: final.status, outputHash: final.outputHash } : { status: final.status },
          result:
            result.kind === "output"
              ? { kind: result.kind, final: result.final, outputHash: result.outputHash, tensors: Object.fromEntries(Object.entries(result.tensors).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as ArrayLike<number | bigint>, String) }])) }
              : { kind: result.kind },
          verification: { ...verification, worst: verification.worst ? { ...verification.worst } : undefined },
        };
      },
      { ...settings(), jobId: firstJob.toString(), modelText: new TextDecoder().decode(MODEL_BYTES) },
    );
    expect(seen.kinds).to.deep.equal(["drawArmed", "assigned", "resultPosted", "finalized"]);
    expect(seen.final).to.deep.equal({ status: "Finalized", outputHash: keccak256(POSTED) });
    const posted = decodeTensors(POSTED);
    expect(seen.result).to.deep.equal({
      kind: "output",
      final: true,
      outputHash: keccak256(POSTED),
      tensors: { y: { dtype: "float32", shape: [1, 4], data: Array.from(posted.y.data as Float32Array, String) }, label: { dtype: "int64", shape: [1], data: ["3"] } },
    });
    const v = seen.verification;
    expect(v.withinTolerance, v.reason).to.equal(true);
    expect(v.outputHash).to.equal(keccak256(POSTED));
    expect(v.recomputedHash).to.equal(keccak256(HONEST));
    expect(v.policy).to.deep.equal({ exact: false, absTolerance: 1e-4, relTolerance: 1e-3 });
    expect(v.maxAbsDeviation).to.be.greaterThan(1e-5).and.lessThan(1e-4);
    expectNoPageErrors();
  });

  it("refuses an output whose URI serves other bytes than the chain committed to (HASH_MISMATCH)", async function () {
    const { jobId } = await page.evaluate(async ({ rpc, chainId, deployment, key }) => {
      const sdk = window.GlassboxSDK;
      const network = sdk.Network.from(BigInt(chainId));
      const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, cacheTimeout: -1, pollingInterval: 250 });
      const client = await sdk.GlassboxClient.connect({ deployment }, new sdk.Wallet(key, provider));
      const r = await client.request({ model: 1n, input: { x: { dtype: "float32", shape: [1, 4], data: [1, 2, 3, 4] } }, mode: "none" });
      provider.destroy();
      return { jobId: r.jobId.toString() };
    }, settings());
    // The executor commits to POSTED's hash but its URI serves other bytes.
    await postResult(chain, BigInt(jobId), POSTED, `${origin}/outputs/tampered.bin`);
    const refused = await page.evaluate(
      async ({ rpc, chainId, deployment, jobId }) => {
        const sdk = window.GlassboxSDK;
        const network = sdk.Network.from(BigInt(chainId));
        const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, cacheTimeout: -1 });
        const client = await sdk.GlassboxClient.connect({ deployment }, provider);
        const final = await client.wait(BigInt(jobId), { pollMs: 250, timeoutMs: 60_000 });
        try {
          await client.result(BigInt(jobId));
          return { final: final.status, threw: false };
        } catch (err) {
          return { final: final.status, threw: true, isGlassboxError: err instanceof sdk.GlassboxError, code: (err as { code?: string }).code, message: String((err as Error).message) };
        } finally {
          provider.destroy();
        }
      },
      { ...settings(), jobId },
    );
    expect(refused).to.include({ final: "Finalized", threw: true, isGlassboxError: true, code: "HASH_MISMATCH" });
    expect(refused.message).to.include(keccak256(TAMPERED)).and.include(keccak256(POSTED));
    expectNoPageErrors();
  });

  it("reports bad calls as GlassboxErrors with a code, the protocol's revert decoded from the node's JSON-RPC error", async function () {
    const jobsBefore = await chain.protocol.jobs.jobCount();
    const errors = await page.evaluate(async ({ rpc, chainId, deployment, key }) => {
      const sdk = window.GlassboxSDK;
      const network = sdk.Network.from(BigInt(chainId));
      const provider = new sdk.JsonRpcProvider(rpc, network, { staticNetwork: network, cacheTimeout: -1, pollingInterval: 250 });
      const signed = await sdk.GlassboxClient.connect({ deployment }, new sdk.Wallet(key, provider));
      const readOnly = await sdk.GlassboxClient.connect({ deployment }, provider);
      const input = { x: { dtype: "float32" as const, shape: [1, 4], data: [1, 2, 3, 4] } };
      const caught = async (call: () => Promise<unknown>) => {
        try {
          await call();
          return { threw: false as const };
        } catch (err) {
          const e = err as InstanceType<typeof sdk.GlassboxError>;
          return {
            threw: true as const,
            isGlassboxError: err instanceof sdk.GlassboxError,
            code: e.code,
            revert: e.revert ? { name: e.revert.name, contract: e.revert.contract, args: Object.fromEntries(Object.entries(e.revert.args).map(([k, v]) => [k, String(v)])) } : undefined,
          };
        }
      };
      const unknownModel = await caught(() => signed.request({ model: 99n, input, mode: "none" }));
      const unknownVersion = await caught(() => signed.request({ model: 1n, version: 9, input, mode: "none" }));
      const readOnlyRequest = await caught(() => readOnly.request({ model: 1n, input, mode: "none" }));
      // decodeRevert on what ethers threw for a reverted call, without the client.
      let assignUnknown: { name?: string; args?: Record<string, string>; message?: string } = {};
      try {
        await readOnly.jobs.assign.staticCall(424242n);
      } catch (err) {
        const decoded = sdk.decodeRevert(err);
        assignUnknown = { name: decoded?.name, args: decoded ? Object.fromEntries(Object.entries(decoded.args).map(([k, v]) => [k, String(v)])) : undefined, message: decoded?.message };
      }
      provider.destroy();
      return { unknownModel, unknownVersion, readOnlyRequest, assignUnknown };
    }, settings());
    expect(errors.unknownModel).to.deep.equal({ threw: true, isGlassboxError: true, code: "UNKNOWN_MODEL", revert: undefined });
    expect(errors.unknownVersion).to.deep.equal({ threw: true, isGlassboxError: true, code: "UNKNOWN_MODEL", revert: { name: "UnknownVersion", contract: "ModelRegistry", args: { modelId: "1", version: "9" } } });
    expect(errors.readOnlyRequest).to.deep.equal({ threw: true, isGlassboxError: true, code: "READ_ONLY", revert: undefined });
    expect(errors.assignUnknown.name).to.equal("UnknownJob");
    expect(errors.assignUnknown.args).to.deep.equal({ jobId: "424242" });
    expect(errors.assignUnknown.message).to.match(/^UnknownJob\(jobId=424242\)/);
    expect(await chain.protocol.jobs.jobCount()).to.equal(jobsBefore);
    expectNoPageErrors();
  });

  it("logged no uncaught error in the page", async function () {
    // Every test checks this too; this one also covers what ran after the last check.
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    expectNoPageErrors();
  });
});
