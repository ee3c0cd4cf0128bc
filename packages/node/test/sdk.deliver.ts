/**
 * GlassboxClient.deliver on Hardhat's in-process network (set-up in fixtures/sdk.ts): a job
 * requested with a callback (the example consumer contracts/examples/ClassificationBook.sol, or a
 * test callback) has its result delivered through the client, which brings the bytes the chain did
 * not store and computes the gas the callback's cap needs.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { decodeTensors, invalidClaim } from "../src/codec/tensor";
import { publishBytes } from "../src/content/client";
import { GlassboxClient } from "../src/sdk";
import { ClassificationBook__factory, GasBurnerCallback__factory, type ClassificationBook } from "../src/typechain";
import { assignJob, signerOf } from "../../../test/fixtures/protocol";
import { honestOutput } from "./fixtures/roles";
import { clientOf, exactWorld, finalize, INPUT, post, rejected, runHonestQuorum, sdkWorld, storeUrl, type SdkWorld } from "./fixtures/sdk";

/** ClassificationBook.Outcome. */
const Outcome = { None: 0n, Labelled: 1n, InputRejected: 2n } as const;
/** The callback gas limit examples/sdk/requestAndAct.ts asks for the book. */
const BOOK_GAS = 300_000;
/** JobParams.MAX_CALLBACK_GAS: the largest callback gas cap a request may ask for. */
const MAX_CALLBACK_GAS = 2_000_000;

/** A ClassificationBook that records the jobs of `w`'s requester. */
async function bookOf(w: SdkWorld): Promise<ClassificationBook> {
  return new ClassificationBook__factory(w.world.requester).deploy(w.world.jobs, w.world.token, w.world.requester.address);
}

/** The index of the largest element of the first tensor of `output`: the label the book records. */
function argmaxOf(output: Uint8Array): bigint {
  const [first] = Object.values(decodeTensors(output));
  const data = Array.from(first.data as Float32Array);
  return BigInt(data.indexOf(Math.max(...data)));
}

describe("GlassboxClient.deliver: the result reaches the callback the request named", function () {
  it("delivers a finalized OPTIMISTIC job's output to the book, which records its label; returns the callback's success and its events", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    const output = await honestOutput();
    await post(w, jobId, output);
    await finalize(w, jobId);
    expect((await book.entryOf(jobId)).outcome).to.equal(Outcome.None); // finalization calls nobody
    const delivered = await client.deliver(jobId);
    expect(delivered).to.deep.include({ callback: await book.getAddress(), succeeded: true });
    const entry = await book.entryOf(jobId);
    expect([entry.outcome, entry.label]).to.deep.equal([Outcome.Labelled, argmaxOf(output)]);
    const labelled = delivered.callbackLogs.map((l) => book.interface.parseLog(l)).find((l) => l?.name === "Labelled");
    expect(labelled?.args.jobId).to.equal(jobId);
    expect(labelled?.args.label).to.equal(entry.label);
    expect(delivered.receipt.gasUsed).to.be.lessThan(delivered.gasLimit);
    expect([delivered.block, delivered.txHash]).to.deep.equal([delivered.receipt.blockNumber, delivered.receipt.hash]);
  });

  it("delivers from a plain Wallet, which would ask the node for a gas estimate: the gas limit is computed, not estimated", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const requester = await clientOf(w, w.world.requester);
    const { jobId } = await requester.request({ model: w.modelId, input: INPUT, mode: "none", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    const output = await honestOutput();
    await post(w, jobId, output);
    // Anyone may deliver an inline output: a key-only wallet here, with gas money only.
    const wallet = Wallet.createRandom().connect(ethers.provider);
    await (await w.world.admin.sendTransaction({ to: wallet.address, value: 10n ** 18n })).wait();
    const delivered = await (await GlassboxClient.connect({ addresses: w.addresses }, wallet)).deliver(jobId);
    expect(delivered.succeeded).to.equal(true);
    expect(delivered.receipt.from).to.equal(wallet.address);
    expect((await book.entryOf(jobId)).label).to.equal(argmaxOf(output));
  });

  it("brings a QUORUM job's output, which the chain keeps only in the reveals", async function () {
    const w = await loadFixture(exactWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "quorum", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    const output = await honestOutput();
    await runHonestQuorum(w, jobId, output);
    expect((await w.world.jobs.resultOf(jobId)).output).to.equal("0x"); // the hub stored the hash alone
    expect((await client.deliver(jobId)).succeeded).to.equal(true);
    expect((await book.entryOf(jobId)).label).to.equal(argmaxOf(output));
  });

  it("fetches an output posted by reference from its URI, checked against the committed hash, and hands it over", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const requester = await clientOf(w, w.world.requester);
    const { jobId } = await requester.request({ model: w.modelId, input: INPUT, mode: "none", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    const output = await honestOutput();
    const { uri } = await publishBytes(storeUrl(), output);
    await post(w, jobId, output, uri);
    // A stranger must bring the bytes (only the requester or the book may deliver them empty).
    const delivered = await (await clientOf(w, w.world.others[0])).deliver(jobId);
    expect(delivered.succeeded).to.equal(true);
    expect((await book.entryOf(jobId)).label).to.equal(argmaxOf(output));
  });

  it("delivers an accepted invalid-input claim (the job refunded InvalidInput), which the book records as InputRejected with its reason", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    await post(w, jobId, invalidClaim("inputDoesNotFitModel"));
    expect((await client.wait(jobId, { pollMs: 10, timeoutMs: 10_000 })).status).to.equal("Refunded");
    expect((await client.deliver(jobId)).succeeded).to.equal(true);
    const entry = await book.entryOf(jobId);
    expect([entry.outcome, entry.rejectReason]).to.deep.equal([Outcome.InputRejected, 2n]);
  });
});

describe("GlassboxClient.deliver: the gas a callback's cap needs", function () {
  /** Requests a NONE job with a GasBurnerCallback at the largest cap; its executor posts `output` (by reference when `byReference`). */
  async function burnerJob(w: SdkWorld, output: Uint8Array, byReference: boolean) {
    const burner = await new GasBurnerCallback__factory(w.world.admin).deploy();
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none", callback: await burner.getAddress(), callbackGasLimit: MAX_CALLBACK_GAS });
    const { assigned } = await assignJob(w.world, jobId);
    const jobs = w.world.jobs.connect(signerOf(w.world.executors, assigned[0]));
    if (byReference) await (await jobs.submitResultRef(jobId, ethers.keccak256(output), "https://example.org/out.bin")).wait();
    else await (await jobs.submitResult(jobId, output)).wait();
    return { client, jobId };
  }

  /** `size` bytes that are not an invalid-input claim (the first byte is not 0x00). */
  function bytesOf(size: number): Uint8Array {
    const out = ethers.randomBytes(size);
    out[0] = 0xff;
    return out;
  }

  for (const [label, size, byReference] of [
    ["a small inline output (64 bytes: the cap and its 1/63, twice, are most of the limit)", 64, false],
    ["the largest inline output (12 KiB, read from the hub's storage)", 12 * 1024, false],
    ["a 64 KiB output brought in the calldata", 64 * 1024, true],
    ["a 256 KiB output brought in the calldata (EIP-7623's calldata floor decides)", 256 * 1024, true],
  ] as const) {
    it(`gives a callback that burns all its gas its whole 2M cap, with ${label}: the delivery completes, the callback failed`, async function () {
      const w = await loadFixture(sdkWorld);
      const output = bytesOf(size);
      const { client, jobId } = await burnerJob(w, output, byReference);
      const delivered = await client.deliver(jobId, byReference ? { output } : {});
      // No InsufficientGasForCallback: the callback was called with its whole cap, and burned it.
      expect(delivered.succeeded).to.equal(false);
      expect(delivered.receipt.status).to.equal(1);
      expect(delivered.receipt.gasUsed).to.be.greaterThan(BigInt(MAX_CALLBACK_GAS));
      // The limit is not wasteful either: within 30% of what the delivery used.
      expect(delivered.gasLimit).to.be.lessThan((delivered.receipt.gasUsed * 13n) / 10n);
    });
  }
});

describe("GlassboxClient.deliver: what it refuses, before sending anything", function () {
  it("throws NO_RESULT before the job is final, NOT_DELIVERABLE without a callback or once delivered, UNKNOWN_JOB for an unknown id, READ_ONLY with a Provider", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const withBook = await client.request({ model: w.modelId, input: INPUT, mode: "optimistic", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    const without = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await post(w, withBook.jobId, await honestOutput());
    let before = await ethers.provider.getBlockNumber();
    expect((await rejected(client.deliver(withBook.jobId), "NO_RESULT")).message).to.match(/is not final yet \(status Submitted\): wait\(jobId\)/);
    await rejected(client.deliver(99n), "UNKNOWN_JOB");
    await rejected((await GlassboxClient.connect({ addresses: w.addresses }, ethers.provider)).deliver(withBook.jobId), "READ_ONLY");
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
    await post(w, without.jobId, await honestOutput());
    expect((await rejected(client.deliver(without.jobId), "NOT_DELIVERABLE")).message).to.match(/no callback left to deliver to/);
    await finalize(w, withBook.jobId);
    await client.deliver(withBook.jobId);
    before = await ethers.provider.getBlockNumber();
    await rejected(client.deliver(withBook.jobId), "NOT_DELIVERABLE"); // a callback runs once
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
  });

  it("throws NOT_DELIVERABLE for a job refunded without a result", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    await (await w.world.jobs.connect(w.world.requester).cancel(jobId)).wait();
    expect((await rejected(client.deliver(jobId), "NOT_DELIVERABLE")).message).to.match(/refunded without a result/);
  });

  it("decodes a revert the simulation finds (a gas limit below the callback's cap: InsufficientGasForCallback) into REVERTED, and sends nothing", async function () {
    const w = await loadFixture(sdkWorld);
    const book = await bookOf(w);
    const client = await clientOf(w, w.world.requester);
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none", callback: await book.getAddress(), callbackGasLimit: BOOK_GAS });
    await post(w, jobId, await honestOutput());
    const before = await ethers.provider.getBlockNumber();
    const err = await rejected(client.deliver(jobId, { gasLimit: 200_000n }), "REVERTED");
    expect(err.revert?.name).to.equal("InsufficientGasForCallback");
    expect(err.message).to.match(/send with a higher gas limit/);
    expect(await ethers.provider.getBlockNumber()).to.equal(before);
    expect((await book.entryOf(jobId)).outcome).to.equal(Outcome.None);
  });
});
