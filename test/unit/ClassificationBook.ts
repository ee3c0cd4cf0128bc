import { expect } from "chai";
import { ethers } from "hardhat";
import { impersonateAccount, loadFixture, setBalance, stopImpersonatingAccount } from "@nomicfoundation/hardhat-network-helpers";
import { deployWorld, Mode, requestJob, type World } from "../fixtures/protocol";
import { executorOf } from "../fixtures/unit-b-helpers";
import { encodeTensors } from "../../packages/node/src/sdk";
import { ClassificationBook__factory, type ClassificationBook } from "../../packages/node/src/typechain";

/** ClassificationBook.Outcome. */
const Outcome = { None: 0n, Labelled: 1n, InputRejected: 2n } as const;
/** The claim `0x00 reason` with reason 2 (the input's shape does not fit the model). */
const INVALID_INPUT_CLAIM = Uint8Array.of(0x00, 0x02);
const CALLBACK_GAS = 300_000;

/** Logits whose float32 values are exact, so the 1e18 score is too: argmax 1, score 0.75. */
const LOGITS = encodeTensors({ logits: { dtype: "float32", shape: [1, 3], data: [0.25, 0.75, -1.5] } });
const SCORE_075 = 75n * 10n ** 16n;

async function bookFixture(): Promise<{ w: World; book: ClassificationBook }> {
  const w = await deployWorld();
  const book = await new ClassificationBook__factory(w.requester).deploy(w.jobs, w.token, w.requester.address);
  return { w, book };
}

/** A NONE job requested by `w.requester` with the book as its callback, its executor having posted `output`. */
async function jobEndingWith(w: World, book: ClassificationBook, output: Uint8Array): Promise<bigint> {
  const { jobId } = await requestJob(w, { mode: Mode.NONE, callback: await book.getAddress(), callbackGasLimit: CALLBACK_GAS });
  const executor = await executorOf(w, jobId);
  await w.jobs.connect(executor).submitResult(jobId, output);
  return jobId;
}

/**
 * The example consumer of "Use Glassbox from your dApp" (README): a book of classifications that
 * the JobRegistry fills in when a job's result is delivered, for its trusted requester's jobs only.
 */
describe("ClassificationBook (examples)", function () {
  it("records the argmax label and its score of a delivered output, and emits Labelled", async function () {
    const { w, book } = await loadFixture(bookFixture);
    const jobId = await jobEndingWith(w, book, LOGITS);
    expect((await book.entryOf(jobId)).outcome).to.equal(Outcome.None);
    const tx = w.jobs.connect(w.others[0]).deliver(jobId, "0x");
    await expect(tx).to.emit(book, "Labelled").withArgs(jobId, 1n, SCORE_075);
    await expect(tx).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await book.getAddress(), true);
    const entry = await book.entryOf(jobId);
    expect(entry.outcome).to.equal(Outcome.Labelled);
    expect(entry.label).to.equal(1n);
    expect(entry.score).to.equal(SCORE_075);
    expect(entry.rejectReason).to.equal(0n);
  });

  it("records an invalid-input result as InputRejected with the executor's reason code", async function () {
    const { w, book } = await loadFixture(bookFixture);
    const jobId = await jobEndingWith(w, book, INVALID_INPUT_CLAIM);
    const tx = w.jobs.deliver(jobId, "0x");
    await expect(tx).to.emit(book, "InputRejected").withArgs(jobId, 2n);
    await expect(tx).not.to.emit(book, "Labelled");
    const entry = await book.entryOf(jobId);
    expect(entry.outcome).to.equal(Outcome.InputRejected);
    expect(entry.rejectReason).to.equal(2n);
    expect(entry.label).to.equal(0n);
  });

  it("reverts OnlyJobRegistry when anyone but the JobRegistry calls onInferenceResult", async function () {
    const { w, book } = await loadFixture(bookFixture);
    const jobId = await jobEndingWith(w, book, LOGITS);
    for (const caller of [w.requester, w.others[0]]) {
      await expect(book.connect(caller).onInferenceResult(jobId, true, ethers.keccak256(LOGITS), LOGITS))
        .to.be.revertedWithCustomError(book, "OnlyJobRegistry")
        .withArgs(caller.address);
    }
    expect((await book.entryOf(jobId)).outcome).to.equal(Outcome.None);
  });

  it("refuses the result of a job someone else requested with the book as callback (NotTrustedRequester)", async function () {
    const { w, book } = await loadFixture(bookFixture);
    // A book that trusts someone else, named as callback of a job w.requester asked for.
    const stranger = w.others[1];
    const strangersBook = await new ClassificationBook__factory(stranger).deploy(w.jobs, w.token, stranger.address);
    const jobId = await jobEndingWithCallback(w, await strangersBook.getAddress());
    const registry = await w.jobs.getAddress();
    await impersonateAccount(registry);
    await setBalance(registry, 10n ** 18n);
    await expect(strangersBook.connect(await ethers.getSigner(registry)).onInferenceResult(jobId, true, ethers.keccak256(LOGITS), LOGITS))
      .to.be.revertedWithCustomError(strangersBook, "NotTrustedRequester")
      .withArgs(jobId, w.requester.address);
    await stopImpersonatingAccount(registry);
    // Through the hub, the refusal fails only this delivery (the job stays final and paid).
    await expect(w.jobs.deliver(jobId, "0x")).to.emit(w.jobs, "CallbackExecuted").withArgs(jobId, await strangersBook.getAddress(), false);
    expect((await strangersBook.entryOf(jobId)).outcome).to.equal(Outcome.None);
    expect((await book.entryOf(jobId)).outcome).to.equal(Outcome.None);
  });

  it("reverts OutputBytesMissing when called with no output bytes (a by-reference output delivered empty)", async function () {
    const { w, book } = await loadFixture(bookFixture);
    const jobId = await jobEndingWith(w, book, LOGITS);
    const registry = await w.jobs.getAddress();
    await impersonateAccount(registry);
    await setBalance(registry, 10n ** 18n);
    await expect(book.connect(await ethers.getSigner(registry)).onInferenceResult(jobId, true, ethers.keccak256(LOGITS), "0x"))
      .to.be.revertedWithCustomError(book, "OutputBytesMissing")
      .withArgs(jobId);
    await stopImpersonatingAccount(registry);
  });
});

/** A NONE job by `w.requester` with `callback`, finalized with LOGITS. */
async function jobEndingWithCallback(w: World, callback: string): Promise<bigint> {
  const { jobId } = await requestJob(w, { mode: Mode.NONE, callback, callbackGasLimit: CALLBACK_GAS });
  await w.jobs.connect(await executorOf(w, jobId)).submitResult(jobId, LOGITS);
  return jobId;
}
