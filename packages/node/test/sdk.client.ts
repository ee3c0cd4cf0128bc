/**
 * GlassboxClient on Hardhat's in-process network (set-up in fixtures/sdk.ts): connecting (from a
 * deployment file too), models, requests, following a job, its result, re-checking it, stake and
 * payouts.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { ethers, network } from "hardhat";
import { loadFixture, mine, time } from "@nomicfoundation/hardhat-network-helpers";
import { decodeTensors, invalidClaim } from "../src/codec/tensor";
import { publishBytes } from "../src/content/client";
import { recordContentStore, writeDeployment } from "../src/deployment";
import { leastFee } from "../src/chain/leastFee";
import { GlassboxClient, GlassboxError, jobIdOf, modesMask, type JobProgress } from "../src/sdk";
import { connectFromFile, onnxModelRunner } from "../src/sdkNode";
import { armedDrawOf, assignJob, challengeDistinct, mineToDraw, Mode, nextEpoch, Role, SAMPLE_INPUT, signerOf, TOKEN, Verdict, voteAll } from "../../../test/fixtures/protocol";
import { honestOutput, MLP_BYTES, tmpDirOf } from "./fixtures/roles";
import { clientOf, falsified, finalize, INPUT, POLICY, post, rejected, sdkWorld, storeUrl } from "./fixtures/sdk";

describe("GlassboxClient.connect", function () {
  it("connects from a parsed deployment and reads the model registered through it", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await GlassboxClient.connect({ deployment: { contracts: w.addresses, deploymentBlock: 0 } }, ethers.provider);
    const model = await client.model(w.modelId);
    expect(model.owner).to.equal(w.world.modelOwner.address);
    expect(model.versions).to.equal(1);
    expect(model.policy).to.deep.equal(POLICY);
    expect(await w.world.models.digestOf(w.modelId, 1)).to.equal(ethers.sha256(MLP_BYTES));
  });

  it("refuses an address where no JobRegistry is deployed, saying to check the deployment", async function () {
    const w = await loadFixture(sdkWorld);
    const err = await rejected(GlassboxClient.connect({ addresses: { ...w.addresses, jobRegistry: ethers.Wallet.createRandom().address } }, ethers.provider), "BAD_ARGUMENT");
    expect(err.message).to.match(/no contract at the JobRegistry address .*check the deployment/);
  });

  it("connected with a Provider, reads but refuses to send with READ_ONLY, before anything is sent", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await GlassboxClient.connect({ addresses: w.addresses }, ethers.provider);
    expect(client.readOnly).to.equal(true);
    const before = await ethers.provider.getBlockNumber();
    const err = await rejected(client.request({ model: w.modelId, input: INPUT, mode: "none" }), "READ_ONLY");
    expect(err.message).to.match(/connect with a Signer/);
    await rejected(client.stake("verifier", TOKEN), "READ_ONLY");
    await rejected(client.claim(), "READ_ONLY");
    await rejected(client.registerModel({ bytes: MLP_BYTES, uri: w.modelUri }, POLICY), "READ_ONLY");
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
  });
});

describe("connectFromFile", function () {
  it("connects from a deployment file as writeDeployment writes it: its addresses, its first block, its content store", async function () {
    const w = await loadFixture(sdkWorld);
    const file = path.join(tmpDirOf("sdk-deployment"), "localhost.json");
    const { chainId } = await ethers.provider.getNetwork();
    const block = await ethers.provider.getBlockNumber();
    await writeDeployment(file, w.world, Number(chainId), block);
    recordContentStore(file, storeUrl());
    const client = await connectFromFile(file, w.world.requester);
    expect(client.addresses).to.deep.equal(w.addresses);
    expect([client.fromBlock, client.contentStore, client.readOnly]).to.deep.equal([block, storeUrl(), false]);
    expect((await client.model(w.modelId)).owner).to.equal(w.world.modelOwner.address);
    // The file's content store takes an input sent by reference.
    const { inputUri } = await client.request({ model: w.modelId, input: INPUT, mode: "none", byReference: true });
    expect(inputUri?.startsWith(`${storeUrl()}/`)).to.equal(true);
  });

  it("throws BAD_DEPLOYMENT for a missing file, a file that is not JSON, one without a contract's address, and one for another chain", async function () {
    const w = await loadFixture(sdkWorld);
    const dir = tmpDirOf("sdk-deployment");
    const good = path.join(dir, "good.json");
    const { chainId } = await ethers.provider.getNetwork();
    await writeDeployment(good, w.world, Number(chainId), 0);
    const write = (name: string, text: string): string => {
      fs.writeFileSync(path.join(dir, name), text);
      return path.join(dir, name);
    };
    const json = JSON.parse(fs.readFileSync(good, "utf8")) as { chainId: number; contracts: Record<string, string> };
    const cases: [string, RegExp][] = [
      [path.join(dir, "missing.json"), /cannot read deployment file .*missing\.json: ENOENT/],
      [write("truncated.json", '{"network": "localhost", '), /deployment file .*truncated\.json is not JSON/],
      [write("partial.json", JSON.stringify({ ...json, contracts: { ...json.contracts, jobRegistry: undefined } })), /contracts\.jobRegistry is missing/],
      [write("other-chain.json", JSON.stringify({ ...json, chainId: 11155111 })), new RegExp(`chain id mismatch: the RPC is on chain ${chainId} but .*other-chain\\.json is for chain 11155111`)],
    ];
    for (const [file, message] of cases) {
      const err = await rejected(connectFromFile(file, w.world.requester), "BAD_DEPLOYMENT");
      expect(err.message).to.match(message);
    }
    expect((await connectFromFile(good, ethers.provider)).readOnly).to.equal(true);
  });
});

describe("GlassboxClient: models", function () {
  it("publishes a version, deprecates it and sets a policy, returning the new numbers", async function () {
    const w = await loadFixture(sdkWorld);
    const owner = await clientOf(w, w.world.modelOwner);
    const digest = ethers.sha256(ethers.toUtf8Bytes("mlp v2"));
    const { version } = await owner.publishVersion(w.modelId, { digest, uri: "ipfs://bafy-mlp-v2" });
    expect(version).to.equal(2);
    expect((await w.world.models.versionOf(w.modelId, 2)).digest).to.equal(digest);
    await owner.deprecateVersion(w.modelId, 2);
    expect((await w.world.models.versionOf(w.modelId, 2)).deprecated).to.equal(true);
    const { policyVersion } = await owner.setPolicy(w.modelId, { ...POLICY, minFee: 2n * 10n ** 16n });
    expect(policyVersion).to.equal(2);
    expect((await owner.model(w.modelId)).policy.minFee).to.equal(2n * 10n ** 16n);
  });

  it("decodes a revert into REVERTED with its name and hint: a stranger publishing a version", async function () {
    const w = await loadFixture(sdkWorld);
    const stranger = await clientOf(w, w.world.requester);
    const err = await rejected(stranger.publishVersion(w.modelId, { digest: ethers.sha256("0x01"), uri: "ipfs://x" }), "REVERTED");
    expect(err.revert?.name).to.equal("NotModelOwner");
    expect(err.message).to.match(/ModelRegistry.publishVersion reverted: NotModelOwner/);
  });

  it("throws UNKNOWN_MODEL for a model id nobody registered, for a request and a version alike", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const err = await rejected(client.request({ model: 99n, input: INPUT, mode: "none" }), "UNKNOWN_MODEL");
    expect(err.message).to.match(/no model has id 99 \(ids run 1\.\.2\).*registerModel/);
    await rejected(client.publishVersion(99n, { digest: ethers.sha256("0x01"), uri: "ipfs://x" }), "UNKNOWN_MODEL");
  });
});

describe("GlassboxClient.request", function () {
  it("sends named tensors inline at the least fee, approving the fee token first", async function () {
    const w = await loadFixture(sdkWorld);
    await (await w.world.token.connect(w.world.requester).approve(w.addresses.jobRegistry, 0)).wait();
    const client = await clientOf(w, w.world.requester);
    const requested = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const least = await leastFee(w.world.jobs, w.world.models, w.modelId, Mode.OPTIMISTIC, 0);
    expect(requested.fee).to.equal(least.fee);
    expect(requested.jobId).to.equal(await w.world.jobs.jobCount());
    expect(requested.inputUri).to.equal(undefined);
    const [event] = await w.world.jobs.queryFilter(w.world.jobs.filters.JobRequested(requested.jobId));
    expect(event.blockNumber).to.equal(requested.block);
    expect(event.transactionHash).to.equal(requested.txHash);
    expect(event.args.params.input).to.equal(ethers.hexlify(SAMPLE_INPUT));
    expect(event.args.params.fee).to.equal(least.fee);
  });

  it("publishes the input to the content store and sends it by reference", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const requested = await client.request({ model: w.modelId, input: SAMPLE_INPUT, mode: "none", byReference: true, contentStore: storeUrl() });
    const [event] = await w.world.jobs.queryFilter(w.world.jobs.filters.JobRequested(requested.jobId));
    expect(event.args.params.input).to.equal("0x");
    expect(event.args.params.inputURI).to.equal(`${storeUrl()}/${ethers.keccak256(SAMPLE_INPUT)}`);
    expect(requested.inputUri).to.equal(event.args.params.inputURI);
    expect(event.args.inputHash).to.equal(ethers.keccak256(SAMPLE_INPUT));
    const served = new Uint8Array(await (await fetch(event.args.params.inputURI)).arrayBuffer());
    expect(served).to.deep.equal(SAMPLE_INPUT);
  });

  it("sends by reference at an inputUri the requester hosts, publishing nothing", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: SAMPLE_INPUT, mode: "none", inputUri: "https://example.org/in.bin" });
    const [event] = await w.world.jobs.queryFilter(w.world.jobs.filters.JobRequested(jobId));
    expect([event.args.params.inputURI, event.args.inputHash, Number(event.args.params.inputSize)]).to.deep.equal(["https://example.org/in.bin", ethers.keccak256(SAMPLE_INPUT), SAMPLE_INPUT.length]);
  });

  it("refuses a fee below the least the chain accepts and a mode the model does not allow, with BAD_ARGUMENT", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    expect((await rejected(client.request({ model: w.modelId, input: INPUT, mode: "none", fee: 1n }), "BAD_ARGUMENT")).message).to.match(/below the least the chain accepts/);
    expect((await rejected(client.request({ model: w.modelId, input: INPUT, mode: "quorum" }), "BAD_ARGUMENT")).message).to.match(/does not allow mode QUORUM/);
  });
  it("says where a by-reference input cannot go: no content store is BAD_ARGUMENT, an unreachable one FETCH_FAILED", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    expect((await rejected(client.request({ model: w.modelId, input: INPUT, mode: "none", byReference: true }), "BAD_ARGUMENT")).message).to.match(/no content store is set/);
    expect((await rejected(client.request({ model: w.modelId, input: INPUT, mode: "none", byReference: true, contentStore: "http://127.0.0.1:1" }), "FETCH_FAILED")).message).to.match(/cannot publish to the content store/);
  });
});

describe("jobIdOf", function () {
  it("reads the job id from a request's receipt and throws NO_EVENT for any other receipt", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId, txHash } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    expect(jobIdOf(await ethers.provider.getTransactionReceipt(txHash))).to.equal(jobId);
    const other = await (await w.world.token.connect(w.world.requester).approve(w.addresses.jobRegistry, 1)).wait();
    await rejected(Promise.resolve().then(() => jobIdOf(other)), "NO_EVENT");
  });
});

describe("GlassboxClient.wait", function () {
  it("reports drawArmed, assigned, resultPosted and finalized in order and resolves Finalized, scanning in bounded block ranges", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester, { maxBlockRange: 3 });
    const { jobId, block } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const drawTarget = Number((await w.world.jobs.jobOf(jobId)).auditTarget);
    const seen: JobProgress[] = [];
    const waiting = client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 60_000 });
    await mine(10); // more blocks than one range: the scan must walk them
    const output = await honestOutput();
    const executor = await post(w, jobId, output);
    await finalize(w, jobId);
    const final = await waiting;
    expect(final.status).to.equal("Finalized");
    expect(final.status === "Finalized" && final.outputHash).to.equal(ethers.keccak256(output));
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "resultPosted", "finalized"]);
    // The request arms the executor draw: anyone may assign once its target block has passed.
    expect(seen[0]).to.deep.include({ kind: "drawArmed", drawTarget, block });
    const posted = seen[2];
    expect(posted.kind === "resultPosted" && posted.executor).to.equal(executor.address);
    expect(seen.every((e) => e.jobId === jobId)).to.equal(true);
  });

  it("reads events that share a block, as interval mining packs them, in their order within it", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await mineToDraw(w.world, jobId);
    const [drawn] = await armedDrawOf(w.world, jobId);
    const output = await honestOutput();
    const seen: JobProgress[] = [];
    await network.provider.send("evm_setAutomine", [false]);
    try {
      // Assigned, posted and (mode NONE) finalized in one block: two transactions, three events.
      await w.world.jobs.assign(jobId, { gasLimit: 3_000_000 });
      await w.world.jobs.connect(signerOf(w.world.executors, drawn)).submitResult(jobId, output, { gasLimit: 3_000_000 });
      await mine();
    } finally {
      await network.provider.send("evm_setAutomine", [true]);
    }
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final.status).to.equal("Finalized");
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "resultPosted", "finalized"]);
    expect(new Set(seen.slice(1).map((e) => e.block)).size).to.equal(1);
  });

  it("reports a challenge, its committee, each vote, the verdict and the hub's settlement; an Invalid verdict slashes and re-arms the draw, so the wait goes on", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const executor = await post(w, jobId, falsified(await honestOutput(), 0.5));
    const { disputeId, committee } = await challengeDistinct(w.world, jobId, w.world.verifiers[0]);
    await voteAll(w.world, disputeId, Verdict.Invalid);
    await (await w.world.jobs.resolveDispute(jobId)).wait();
    const seen: JobProgress[] = [];
    const outcome = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 300 }).catch((err: unknown) => err);
    const votes = (kind: string) => committee.map(() => kind);
    expect(seen.map((e) => e.kind)).to.deep.equal([
      "drawArmed",
      "assigned",
      "resultPosted",
      "disputed", // the hub's view, whatever the resolver
      "challenged", // the default committee's own steps, from here to disputeResolved
      "committeeDrawn",
      ...votes("voteCommitted"),
      ...votes("voteRevealed"),
      "disputeResolved",
      "disputeSettled",
      "collateralSlashed",
      "drawArmed",
    ]);
    const resolved = seen.find((e) => e.kind === "disputeResolved");
    expect(resolved?.kind === "disputeResolved" && resolved.verdict).to.equal("Invalid");
    const settled = seen.find((e) => e.kind === "disputeSettled");
    expect(settled?.kind === "disputeSettled" && settled.verdict).to.equal("Invalid");
    const challenged = seen.find((e) => e.kind === "challenged");
    expect(challenged?.kind === "challenged" && challenged.challenger).to.equal(w.world.verifiers[0].address);
    const slashed = seen.find((e) => e.kind === "collateralSlashed");
    expect(slashed?.kind === "collateralSlashed" && slashed.executor).to.equal(executor.address);
    expect(slashed?.kind === "collateralSlashed" && slashed.amount).to.be.greaterThan(0n);
    // An Invalid verdict re-arms the draw: the job is not final yet, so the wait times out.
    expect(outcome).to.be.instanceOf(GlassboxError);
    expect((outcome as GlassboxError).code).to.equal("TIMEOUT");
  });

  it("resolves Refunded with the reason when the requester cancels", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId, fee } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await (await w.world.jobs.connect(w.world.requester).cancel(jobId)).wait();
    const final = await client.wait(jobId, { pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.include({ status: "Refunded", reason: "Cancelled" });
    expect(final.status === "Refunded" && final.amount).to.equal(fee);
  });

  it("throws TIMEOUT naming the job's status when the job is not final in time", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const started = Date.now();
    const err = await rejected(client.wait(jobId, { pollMs: 10, timeoutMs: 150 }), "TIMEOUT");
    expect(Date.now() - started).to.be.within(150, 5_000);
    expect(err.message).to.match(new RegExp(`job ${jobId} is not final after 150 ms \\(status Unassigned`));
  });

  it("throws ABORTED when the signal fires, and UNKNOWN_JOB for a job never requested", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await rejected(client.wait(jobId, { pollMs: 10, signal: AbortSignal.timeout(50) }), "ABORTED");
    await rejected(client.wait(999n, { pollMs: 10 }), "UNKNOWN_JOB");
  });
});

describe("GlassboxClient.result", function () {
  it("decodes an inline output into tensors", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const output = await honestOutput();
    await post(w, jobId, output);
    const before = await client.result(jobId);
    expect(before.final).to.equal(false);
    await finalize(w, jobId);
    const result = await client.result(jobId);
    expect(result.kind).to.equal("output");
    expect(result.final).to.equal(true);
    expect(result.kind === "output" && result.tensors).to.deep.equal(decodeTensors(output));
  });

  it("fetches an output posted by reference and checks its keccak256", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const output = await honestOutput();
    const { uri } = await publishBytes(storeUrl(), output);
    await post(w, jobId, output, uri);
    const result = await client.result(jobId);
    expect(result.kind === "output" && result.tensors).to.deep.equal(decodeTensors(output));
    expect(result.outputHash).to.equal(ethers.keccak256(output));
  });

  it("throws HASH_MISMATCH when the output's URI serves other bytes than its committed hash", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    const output = await honestOutput();
    const other = await publishBytes(storeUrl(), falsified(output, 1));
    await post(w, jobId, output, other.uri);
    const err = await rejected(client.result(jobId), "HASH_MISMATCH");
    expect(err.message).to.match(new RegExp(`have keccak256 ${other.hash}, but the chain commits to ${ethers.keccak256(output)}`));
  });

  it("reports an invalid-input claim with its reason, and NO_RESULT before any result", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    expect((await rejected(client.result(jobId), "NO_RESULT")).message).to.match(/has no result yet \(status Unassigned\)/);
    await post(w, jobId, invalidClaim("inputDoesNotFitModel"));
    expect(await client.result(jobId)).to.deep.include({ kind: "invalid", reason: "inputDoesNotFitModel" });
  });
});

describe("GlassboxClient.verify", function () {
  it("re-runs an honest result from the registered model and the by-reference input: within tolerance, no deviation", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic", byReference: true, contentStore: storeUrl() });
    const output = await honestOutput();
    await post(w, jobId, output);
    const report = await client.verify(jobId, onnxModelRunner());
    expect(report).to.deep.include({ withinTolerance: true, maxAbsDeviation: 0, maxRelDeviation: 0, outputHash: ethers.keccak256(output), recomputedHash: ethers.keccak256(output) });
    expect(report.policy).to.deep.equal({ exact: false, absTolerance: 1e-4, relTolerance: 1e-3 });
  });

  it("finds a falsified result outside tolerance and reports its deviation", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    await post(w, jobId, falsified(await honestOutput(), 0.25));
    const report = await client.verify(jobId, onnxModelRunner());
    expect(report.withinTolerance).to.equal(false);
    expect(report.maxAbsDeviation).to.be.closeTo(0.25, 1e-6);
    expect(report.maxRelDeviation).to.be.greaterThan(1e-3);
    expect(report.worst).to.not.equal(undefined);
    expect(report.recomputedHash).to.equal(ethers.keccak256(await honestOutput()));
  });

  it("checks the result a given transaction posted (postedIn), read from that transaction's receipt, inline or by reference", async function () {
    const w = await loadFixture(sdkWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId, txHash: requestTx } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const { assigned } = await assignJob(w.world, jobId);
    const jobs = w.world.jobs.connect(signerOf(w.world.executors, assigned[0]));
    const wrong = falsified(await honestOutput(), 0.5);
    const sent = await (await jobs.submitResult(jobId, wrong)).wait();
    const report = await client.verify(jobId, onnxModelRunner(), { postedIn: sent!.hash });
    expect(report.withinTolerance).to.equal(false);
    expect(report.outputHash).to.equal(ethers.keccak256(wrong));
    expect(report.maxAbsDeviation).to.be.closeTo(0.5, 1e-6);
    // A transaction that posted no result of this job, and a string that is no hash.
    expect((await rejected(client.verify(jobId, onnxModelRunner(), { postedIn: requestTx }), "NO_EVENT")).message).to.match(/posted no result of job/);
    await rejected(client.verify(jobId, onnxModelRunner(), { postedIn: "0x1234" }), "BAD_ARGUMENT");

    const second = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const honest = await honestOutput();
    const published = await publishBytes(storeUrl(), honest);
    const byRef = await assignJob(w.world, second.jobId);
    const refSent = await (await w.world.jobs.connect(signerOf(w.world.executors, byRef.assigned[0])).submitResultRef(second.jobId, ethers.keccak256(honest), published.uri)).wait();
    expect(await client.verify(second.jobId, onnxModelRunner(), { postedIn: refSent!.hash })).to.deep.include({ withinTolerance: true, maxAbsDeviation: 0 });
  });

  it("throws HASH_MISMATCH when the model's URI serves bytes whose SHA-256 is not the registered digest", async function () {
    const w = await loadFixture(sdkWorld);
    const owner = await clientOf(w, w.world.modelOwner);
    const other = await publishBytes(storeUrl(), new Uint8Array([1, 2, 3]));
    const { modelId } = await owner.registerModel({ digest: ethers.sha256(ethers.toUtf8Bytes("not these bytes")), uri: other.uri }, { ...POLICY, allowedModes: modesMask("none") });
    for (const e of w.world.executors) await (await w.world.stakes.connect(e).optIn(modelId)).wait();
    await nextEpoch(w.world);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: modelId, input: INPUT, mode: "none" });
    await post(w, jobId, await honestOutput());
    expect((await rejected(client.verify(jobId, onnxModelRunner()), "HASH_MISMATCH")).message).to.match(/SHA-256 .* but the registry holds/);
  });
});

describe("GlassboxClient: stake and payouts", function () {
  it("stakes (approving first), unstakes and withdraws for a role", async function () {
    const w = await loadFixture(sdkWorld);
    const node = w.world.others[1];
    await (await w.world.token.connect(node).approve(w.addresses.stakeManager, 0)).wait();
    const client = await clientOf(w, node);
    const balance = await w.world.token.balanceOf(node.address);
    await client.stake("verifier", 200n * TOKEN);
    expect((await w.world.stakes.accountOf(node.address, Role.VERIFIER)).active).to.equal(200n * TOKEN);
    await client.unstake(Role.VERIFIER, 200n * TOKEN);
    expect((await w.world.stakes.accountOf(node.address, Role.VERIFIER)).unbonding).to.equal(200n * TOKEN);
    await time.increase(Number(await w.world.stakes.unbondingPeriod()) + 1);
    await client.withdraw("verifier");
    expect(await w.world.token.balanceOf(node.address)).to.equal(balance);
    await rejected(client.stake("auditor" as "verifier", TOKEN), "BAD_ARGUMENT");
  });

  it("claims an executor's credit after a finalized job and returns the amount paid", async function () {
    const w = await loadFixture(sdkWorld);
    const requester = await clientOf(w, w.world.requester);
    const { jobId } = await requester.request({ model: w.modelId, input: INPUT, mode: "optimistic" });
    const executor = await post(w, jobId, await honestOutput());
    await finalize(w, jobId);
    const client = await clientOf(w, executor);
    const credit = await client.credit();
    expect(credit).to.be.greaterThan(0n);
    const before = await w.world.token.balanceOf(executor.address);
    const { amount } = await client.claim();
    expect(amount).to.equal(credit);
    expect(await w.world.token.balanceOf(executor.address)).to.equal(before + credit);
    expect(await client.credit()).to.equal(0n);
  });
});
