/**
 * The CLI commands that are parse-and-print over GlassboxClient: model version publish|deprecate,
 * model policy set, job verify and node claim, run in-process with runCli on Hardhat's network.
 * The executors are played by the test (assign, submit, finalize) so a result can be honest or
 * falsified on purpose.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { HDNodeWallet } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { runCli, type CliIo } from "../src/cli";
import { writeDeployment } from "../src/deployment";
import { decodeTensors, encodeTensors } from "../src/codec/tensor";
import { cliLineOf } from "../src/cliSdk";
import { GlassboxClient, GlassboxError, modesMask, type ModelPolicy } from "../src/sdk";
import { DEVNET_PARAMS } from "../../../deploy/protocol";
import { assignJob, deployWorld, nextEpoch, signerOf, TOKEN, type World } from "../../../test/fixtures/protocol";
import { addressesOf, honestOutput, MLP_BYTES, tmpDirOf } from "./fixtures/roles";
import { POLICY as SDK_POLICY } from "./fixtures/sdk";

/** Hardhat's default accounts (hardhat.config.ts sets no mnemonic): the keys behind ethers.getSigners(). */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

function keyOf(address: string): string {
  for (let i = 0; i < 20; i++) {
    const wallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
    if (wallet.address === address) return wallet.privateKey;
  }
  throw new Error(`${address} is not one of Hardhat's default accounts`);
}

/** The SDK tests' MLP policy, without ATTESTED and with no schema. */
const POLICY: ModelPolicy = { ...SDK_POLICY, allowedModes: modesMask("none", "optimistic"), schemaHash: ethers.ZeroHash };

const INPUT = { x: { dtype: "float32" as const, shape: [1, 4], data: [0.5, -1, 2, 3.25] } };

/**
 * The protocol with no least audit rate, a deployment file for it, and the MLP registered by the
 * model owner at the file:// URI of a copy on disk (model 2); every executor opts in to it.
 */
async function sdkCliWorld() {
  const world = await deployWorld({ executors: 3, verifiers: 4, params: { ...DEVNET_PARAMS, minAuditRateBps: 0 }, policy: { auditRateBps: 0 } });
  const dir = tmpDirOf("cli-sdk");
  const deploymentFile = path.join(dir, "deployments", "hardhat.json");
  await writeDeployment(deploymentFile, world, 31337, 0, "hardhat");
  const modelFile = path.join(dir, "mlp.onnx");
  fs.writeFileSync(modelFile, MLP_BYTES);
  // A second version's file: the registry refuses bytes it already holds.
  const nextFile = path.join(dir, "mlp-v2.onnx");
  fs.writeFileSync(nextFile, Buffer.concat([MLP_BYTES, Buffer.from("v2")]));
  const owner = await GlassboxClient.connect({ deployment: { contracts: await addressesOf(world), deploymentBlock: 0 } }, world.modelOwner);
  const { modelId } = await owner.registerModel({ bytes: MLP_BYTES, uri: `file://${modelFile}` }, POLICY);
  for (const e of world.executors) await (await world.stakes.connect(e).optIn(modelId)).wait();
  await nextEpoch(world);
  return { world, dir, deploymentFile, modelFile, nextFile, modelId };
}

type CliWorld = Awaited<ReturnType<typeof sdkCliWorld>>;


interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs one command in-process as `as` (its key in GLASSBOX_PRIVATE_KEY), with the world's deployment. */
async function cli(w: CliWorld, as: HardhatEthersSigner, argv: string[], io: Partial<CliIo> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runCli([...argv, "--deployment", w.deploymentFile, "--data-dir", path.join(w.dir, "data")], {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: { GLASSBOX_PRIVATE_KEY: keyOf(as.address) },
    provider: ethers.provider,
    ...io,
  });
  return { code, out, err };
}

/** Asserts a failed run exited `code` with exactly one line on stderr matching `pattern` (and no stack trace). */
function expectOneLine(run: Run, pattern: RegExp, code = 1): void {
  expect(run.code, run.err).to.equal(code);
  expect(run.err.endsWith("\n")).to.equal(true);
  expect(run.err.trimEnd().split("\n")).to.have.length(1);
  expect(run.err).to.match(pattern);
  expect(run.err).not.to.match(/\bat .*\.ts:\d+/);
}

/** Requests an inline OPTIMISTIC job as the requester; returns its id. */
async function request(w: CliWorld): Promise<bigint> {
  const client = await GlassboxClient.connect({ deployment: { contracts: await addressesOf(w.world), deploymentBlock: 0 } }, w.world.requester);
  return (await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" })).jobId;
}

/** Assigns `jobId` and posts `output` as its executor; returns the executor. */
async function post(w: CliWorld, jobId: bigint, output: Uint8Array): Promise<HardhatEthersSigner> {
  const { assigned } = await assignJob(w.world, jobId);
  const executor = signerOf(w.world.executors, assigned[0]);
  await (await w.world.jobs.connect(executor).submitResult(jobId, output)).wait();
  return executor;
}

/** Adds `delta` to every element of a float32 output. */
function falsified(output: Uint8Array, delta: number): Uint8Array {
  const tensors = decodeTensors(output);
  return encodeTensors(Object.fromEntries(Object.entries(tensors).map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, data: Array.from(t.data as Float32Array, (v) => v + delta) }])));
}

describe("glassbox model version publish", function () {
  it("hashes the file as model register does, publishes it as the next version and prints its number", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.modelOwner, ["model", "version", "publish", String(w.modelId), w.nextFile, "--uri", "ipfs://mlp-v2"]);
    expect(run.code, run.err).to.equal(0);
    expect(run.out).to.equal("2\n");
    const v = await w.world.models.versionOf(w.modelId, 2);
    expect(v.digest).to.equal(ethers.sha256(fs.readFileSync(w.nextFile)));
    expect(v.uri).to.equal("ipfs://mlp-v2");
  });

  it("without --uri, publishes the file:// URI of the copy it caches in the data directory", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.modelOwner, ["model", "version", "publish", String(w.modelId), w.nextFile]);
    expect(run.code, run.err).to.equal(0);
    const uri = (await w.world.models.versionOf(w.modelId, 2)).uri;
    expect(uri).to.match(/^file:\/\/.*\/data\/models\//);
    expect(fs.readFileSync(new URL(uri))).to.deep.equal(fs.readFileSync(w.nextFile));
  });

  it("fails in one line for a model nobody registered, saying how to find or register one", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.modelOwner, ["model", "version", "publish", "99", w.modelFile]);
    expectOneLine(run, /no model has id 99 \(ids run 1\.\.2\): check the id with glassbox model info <id>, or register the model with glassbox model register/);
    expect(run.out).to.equal("");
  });

  it("fails in one line, with the chain's reason and what to do, for bytes the registry already holds", async function () {
    const w = await loadFixture(sdkCliWorld);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "version", "publish", String(w.modelId), w.modelFile]), /DigestAlreadyRegistered.*already registered as model 2 version 1: use that id/);
  });

  it("fails in one line, naming the chain's NotModelOwner, when the key does not own the model", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.requester, ["model", "version", "publish", String(w.modelId), w.nextFile]);
    expectOneLine(run, /NotModelOwner/);
    expect(await w.world.models.versionCount(w.modelId)).to.equal(1n);
  });
});

describe("glassbox model version deprecate", function () {
  it("deprecates a version and says it takes no new jobs", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.modelOwner, ["model", "version", "deprecate", String(w.modelId), "1"]);
    expect(run.code, run.err).to.equal(0);
    expect(run.out).to.equal(`deprecated version 1 of model ${w.modelId}; it takes no new jobs\n`);
    expect((await w.world.models.versionOf(w.modelId, 1)).deprecated).to.equal(true);
  });

  it("fails in one line when the version is already deprecated, a version the model does not have, or the key is not the owner", async function () {
    const w = await loadFixture(sdkCliWorld);
    expect((await cli(w, w.world.modelOwner, ["model", "version", "deprecate", String(w.modelId), "1"])).code).to.equal(0);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "version", "deprecate", String(w.modelId), "1"]), /VersionDeprecated/);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "version", "deprecate", String(w.modelId), "5"]), /model 2 has no version 5 \(it has 1\)/);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "version", "deprecate", String(w.modelId), "one"]), /version "one" must be an integer/);
    expectOneLine(await cli(w, w.world.requester, ["model", "version", "deprecate", String(w.modelId), "1"]), /NotModelOwner/);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "version", "deprecate", "99", "1"]), /no model has id 99 .*glassbox model info/);
  });
});

describe("glassbox model policy set", function () {
  it("changes the options given, keeps every other value, and prints the new policy version", async function () {
    const w = await loadFixture(sdkCliWorld);
    const run = await cli(w, w.world.modelOwner, ["model", "policy", "set", String(w.modelId), "--min-fee", "0.5", "--abs-tol", "0.01"]);
    expect(run.code, run.err).to.equal(0);
    expect(run.out).to.equal(`${await w.world.models.policyVersionOf(w.modelId)}\n`);
    expect(Number(run.out)).to.be.greaterThan(1);
    const p = await w.world.models.policyOf(w.modelId);
    expect(p.minFee).to.equal(TOKEN / 2n);
    expect(p.absTolerance).to.equal(10n ** 10n);
    // Unchanged:
    expect(p.relTolerance).to.equal(POLICY.relTolerance);
    expect(Number(p.allowedModes)).to.equal(POLICY.allowedModes);
    expect(Number(p.maxInputBytes)).to.equal(POLICY.maxInputBytes);
    expect(p.exact).to.equal(false);
  });

  it("makes a policy exact with zero tolerances, and refuses quorum on an inexact one before sending", async function () {
    const w = await loadFixture(sdkCliWorld);
    const before = await w.world.models.policyVersionOf(w.modelId);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "policy", "set", String(w.modelId), "--modes", "quorum"]), /quorum needs an exact policy/);
    expect(await w.world.models.policyVersionOf(w.modelId)).to.equal(before);
    const run = await cli(w, w.world.modelOwner, ["model", "policy", "set", String(w.modelId), "--exact", "--modes", "none,quorum"]);
    expect(run.code, run.err).to.equal(0);
    const p = await w.world.models.policyOf(w.modelId);
    expect([p.exact, p.absTolerance, p.relTolerance]).to.deep.equal([true, 0n, 0n]);
    expect(Number(p.allowedModes)).to.equal(modesMask("none", "quorum"));
  });

  it("fails in one line for a model nobody registered and for a key that does not own the model", async function () {
    const w = await loadFixture(sdkCliWorld);
    expectOneLine(await cli(w, w.world.modelOwner, ["model", "policy", "set", "99", "--min-fee", "1"]), /no model has id 99 .*glassbox model info/);
    expectOneLine(await cli(w, w.world.requester, ["model", "policy", "set", String(w.modelId), "--min-fee", "1"]), /NotModelOwner/);
  });
});

describe("glassbox job verify: exit 0 within tolerance, 1 not, 2 cannot check", function () {
  it("re-runs an honest job locally and reports it within tolerance with no deviation, exit 0", async function () {
    const w = await loadFixture(sdkCliWorld);
    const jobId = await request(w);
    const output = await honestOutput();
    await post(w, jobId, output);
    const run = await cli(w, w.world.others[0], ["job", "verify", String(jobId)]);
    expect(run.code, run.err).to.equal(0);
    expect(run.err).to.equal("");
    const report = JSON.parse(run.out) as Record<string, unknown>;
    expect(report).to.deep.include({ job: Number(jobId), withinTolerance: true, maxAbsDeviation: 0, maxRelDeviation: 0 });
    expect(report.outputHash).to.equal(ethers.keccak256(output));
    expect(report.recomputedHash).to.equal(ethers.keccak256(output));
    expect(report.policy).to.deep.equal({ exact: false, absTolerance: 1e-4, relTolerance: 1e-3 });
  });

  it("finds a falsified result outside tolerance: prints the deviation and the element, exit 1 with one line", async function () {
    const w = await loadFixture(sdkCliWorld);
    const jobId = await request(w);
    await post(w, jobId, falsified(await honestOutput(), 0.25));
    const run = await cli(w, w.world.others[0], ["job", "verify", String(jobId)]);
    expectOneLine(run, new RegExp(`job ${jobId}'s posted result is NOT within tolerance .* by up to 0\\.25.*: dispute it`));
    const report = JSON.parse(run.out) as { withinTolerance: boolean; maxAbsDeviation: number; worst: { tensor: string; index: number } | null; recomputedHash: string };
    expect(report.withinTolerance).to.equal(false);
    expect(report.maxAbsDeviation).to.be.closeTo(0.25, 1e-6);
    expect(report.worst).to.not.equal(null);
    expect(report.recomputedHash).to.equal(ethers.keccak256(await honestOutput()));
  });

  it("cannot check a job with no result yet, or one never requested: one line saying what to do, exit 2", async function () {
    const w = await loadFixture(sdkCliWorld);
    const jobId = await request(w);
    const none = await cli(w, w.world.others[0], ["job", "verify", String(jobId)]);
    expectOneLine(none, new RegExp(`cannot check job ${jobId}: job ${jobId} has no result yet \\(status Unassigned\\): wait until the job has a result \\(glassbox job status ${jobId}\\)`), 2);
    expect(none.out).to.equal("");
    expectOneLine(await cli(w, w.world.others[0], ["job", "verify", "99"]), /cannot check job 99: .*check the id/, 2);
  });
});

describe("glassbox node claim", function () {
  it("claims an executor's payout after a finalized job and prints it in tokens; a second claim finds nothing owed", async function () {
    const w = await loadFixture(sdkCliWorld);
    const jobId = await request(w);
    const executor = await post(w, jobId, await honestOutput());
    await time.increase(Number(w.world.params.jobs.challengeWindow) + 1);
    await (await w.world.jobs.finalize(jobId)).wait();
    const credit = await w.world.vault.creditOf(executor.address);
    expect(credit).to.be.greaterThan(0n);
    const balance = await w.world.token.balanceOf(executor.address);
    const run = await cli(w, executor, ["node", "claim"]);
    expect(run.code, run.err).to.equal(0);
    expect(run.out).to.equal(`claimed ${ethers.formatUnits(credit, 18)} tokens to ${executor.address}\n`);
    expect(await w.world.token.balanceOf(executor.address)).to.equal(balance + credit);
    const again = await cli(w, executor, ["node", "claim"]);
    expect(again.code, again.err).to.equal(0);
    expect(again.out).to.equal(`nothing to claim: the payment vault owes ${executor.address} nothing\n`);
  });

  it("says plainly that nothing is owed to a key that never earned anything, sending nothing", async function () {
    const w = await loadFixture(sdkCliWorld);
    const before = await ethers.provider.getTransactionCount(w.world.others[1].address);
    const run = await cli(w, w.world.others[1], ["node", "claim"]);
    expect(run.code, run.err).to.equal(0);
    expect(run.out).to.equal(`nothing to claim: the payment vault owes ${w.world.others[1].address} nothing\n`);
    expect(await ethers.provider.getTransactionCount(w.world.others[1].address)).to.equal(before);
  });
});

describe("glassbox --help: the SDK commands", function () {
  it("lists version, policy, verify and claim, and documents verify's exit codes", async function () {
    const w = await loadFixture(sdkCliWorld);
    const help = async (argv: string[]) => (await cli(w, w.world.requester, [...argv, "--help"])).out;
    expect(await help(["model"])).to.match(/version/).and.to.match(/policy/);
    expect(await help(["model", "version"])).to.match(/publish/).and.to.match(/deprecate/);
    expect(await help(["model", "policy", "set"])).to.match(/keeps its current value/).and.to.match(/--min-fee/);
    expect((await help(["job", "verify"])).replace(/\s+/g, " ")).to.match(/Exit 0: within tolerance; 1: not within tolerance; 2: cannot check/);
    expect(await help(["node"])).to.match(/claim/);
  });
});

describe("cliLineOf: a GlassboxError as one line saying what to do next on the command line", function () {
  it("keeps the SDK's statement of what went wrong and replaces its SDK advice with the CLI's", function () {
    const err = new GlassboxError("READ_ONLY", "publishVersion sends a transaction, but this client was connected with a Provider: connect with a Signer");
    expect(cliLineOf(err)).to.equal("publishVersion sends a transaction, but this client was connected with a Provider: this command sends a transaction: give it a key (GLASSBOX_PRIVATE_KEY, --key or --keystore)");
    expect(cliLineOf(new GlassboxError("TOO_LARGE", "job 3's output is larger than 16 bytes: raise maxFetchBytes"))).to.match(/^job 3's output is larger than 16 bytes: raise --max-input-bytes/);
  });

  it("passes a message through whole for a code with no CLI advice of its own", function () {
    expect(cliLineOf(new GlassboxError("BAD_ARGUMENT", "mode 9 is not a Mode: use none"))).to.equal("mode 9 is not a Mode: use none");
  });
});

describe("glassbox model policy set: options refused before anything is sent", function () {
  it("refuses a negative tolerance, --exact with --inexact, tolerances on an exact policy and a fee floor that is no amount", async function () {
    const w = await loadFixture(sdkCliWorld);
    const before = await w.world.models.policyVersionOf(w.modelId);
    const set = (...options: string[]) => cli(w, w.world.modelOwner, ["model", "policy", "set", String(w.modelId), ...options]);
    expectOneLine(await set("--abs-tol", "-1"), /--abs-tol "-1" is not a tolerance/);
    expectOneLine(await set("--exact", "--inexact"), /--exact and --inexact exclude each other/);
    expectOneLine(await set("--exact", "--rel-tol", "0.1"), /do not apply to an exact policy/);
    expectOneLine(await set("--min-fee", "lots"), /--min-fee "lots" is not a token amount/);
    expect(await w.world.models.policyVersionOf(w.modelId)).to.equal(before);
  });
});
