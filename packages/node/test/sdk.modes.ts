/**
 * GlassboxClient with the verification modes beyond NONE and OPTIMISTIC (set-up in fixtures/sdk.ts):
 * a QUORUM job on the MLP made exact, and an ATTESTED job accepted on its proof by the result
 * verifier governance registers. Each is requested, followed and read through the client.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { decodeTensors } from "../src/codec/tensor";
import { Mode, type JobProgress } from "../src/sdk";
import { MockResultVerifier__factory } from "../src/typechain";
import { assignJob, signerOf } from "../../../test/fixtures/protocol";
import { honestOutput } from "./fixtures/roles";
import { clientOf, exactWorld, INPUT, runHonestQuorum, sdkWorld } from "./fixtures/sdk";

describe("GlassboxClient: a QUORUM job", function () {
  it("is requested on an exact model, followed through its round (opened, each commitment, reveals, tally) to finalized, and its output read back from the reveals", async function () {
    const w = await loadFixture(exactWorld);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "quorum" });
    const [event] = await w.world.jobs.queryFilter(w.world.jobs.filters.JobRequested(jobId));
    expect(event.args.params.mode).to.equal(BigInt(Mode.QUORUM));
    const output = await honestOutput();
    const members = await runHonestQuorum(w, jobId, output);
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.deep.include({ status: "Finalized", outputHash: ethers.keccak256(output) });
    // The last commitment opens the reveal phase: RevealPhaseStarted comes before its ResultCommitted.
    const commits = members.map(() => "quorumCommitted");
    const reveals = members.map(() => "quorumRevealed");
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "quorumOpened", ...commits.slice(1), "quorumRevealStarted", "quorumCommitted", ...reveals, "quorumTallied", "finalized"]);
    const seats = Number(w.world.params.jobs.quorumSize);
    expect(seen.find((e) => e.kind === "quorumTallied")).to.deep.include({ winner: ethers.keccak256(output), votes: seats });
    const opened = seen.find((e) => e.kind === "quorumOpened");
    expect(opened?.kind === "quorumOpened" && [...new Set(opened.members)].sort()).to.deep.equal([...members].sort());
    const revealed = seen.filter((e) => e.kind === "quorumRevealed");
    expect(revealed.every((e) => e.kind === "quorumRevealed" && e.outputHash === ethers.keccak256(output))).to.equal(true);
    // The hub keeps the winning hash alone: result() reads the bytes from a reveal.
    expect((await w.world.jobs.resultOf(jobId)).output).to.equal("0x");
    const result = await client.result(jobId);
    expect(result).to.deep.include({ kind: "output", final: true, outputHash: ethers.keccak256(output) });
    expect(result.kind === "output" && result.tensors).to.deep.equal(decodeTensors(output));
  });
});

describe("GlassboxClient: an ATTESTED job", function () {
  it("is requested, finalized at once when the result verifier accepts the executor's proof, and read back", async function () {
    const w = await loadFixture(sdkWorld);
    const verifier = await new MockResultVerifier__factory(w.world.admin).deploy();
    await (await w.world.jobs.connect(w.world.admin).setResultVerifier(verifier)).wait();
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "attested" });
    const { assigned } = await assignJob(w.world, jobId);
    const output = await honestOutput();
    const executor = signerOf(w.world.executors, assigned[0]);
    await (await w.world.jobs.connect(executor).submitAttestedResult(jobId, output, ethers.toUtf8Bytes("a TEE quote"))).wait();
    const seen: JobProgress[] = [];
    const final = await client.wait(jobId, { onProgress: (e) => seen.push(e), pollMs: 10, timeoutMs: 10_000 });
    expect(final).to.deep.include({ status: "Finalized", outputHash: ethers.keccak256(output) });
    // No challenge window: the proof is the check, so the result is final in its own transaction.
    expect(seen.map((e) => e.kind)).to.deep.equal(["drawArmed", "assigned", "resultPosted", "finalized"]);
    expect(seen[2]).to.deep.include({ executor: executor.address, challengeEnd: 0 });
    expect(seen[3].block).to.equal(seen[2].block);
    const result = await client.result(jobId);
    expect(result.kind === "output" && result.tensors).to.deep.equal(decodeTensors(output));
  });
});
