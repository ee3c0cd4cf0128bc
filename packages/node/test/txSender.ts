import { expect } from "chai";
import { ethers, network } from "hardhat";
import { TxSender, TransactionStuckError } from "../src/chain/txSender";

/** Mines a block after `ms`, while automine is off. */
function mineLater(ms: number) {
  return new Promise<void>((resolve) => setTimeout(() => void network.provider.send("evm_mine", []).then(() => resolve()), ms));
}

describe("TxSender", function () {
  afterEach(async function () {
    await network.provider.send("evm_setAutomine", [true]);
  });

  it("sends in nonce order and returns each receipt", async function () {
    const [, from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 10, replaceAfterMs: 2_000 });
    const start = await ethers.provider.getTransactionCount(from.address);
    const receipts = await Promise.all([1n, 2n, 3n].map((v) => sender.send({ to: to.address, value: v })));
    expect(receipts.map((r) => r.status)).to.deep.equal([1, 1, 1]);
    const nonces = await Promise.all(receipts.map(async (r) => (await ethers.provider.getTransaction(r.hash))!.nonce));
    expect(nonces).to.deep.equal([start, start + 1, start + 2]);
  });

  it("replaces an unmined transaction at the same nonce with higher fees", async function () {
    const [, , , from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 20, replaceAfterMs: 150, bumpPercent: 12.5 });
    const nonce = await ethers.provider.getTransactionCount(from.address);
    await network.provider.send("evm_setAutomine", [false]);
    const mining = mineLater(400); // the first attempt waits 150 ms unmined, then is replaced
    const receipt = await sender.send({ to: to.address, value: 7n });
    await mining;
    const tx = (await ethers.provider.getTransaction(receipt.hash))!;
    expect(tx.nonce).to.equal(nonce);
    const block = await ethers.provider.getBlock(receipt.blockNumber, true);
    expect(block!.transactions.length).to.equal(1); // only one transaction at that nonce was mined
    const fee = await ethers.provider.getFeeData();
    expect(tx.maxPriorityFeePerGas! > fee.maxPriorityFeePerGas!).to.equal(true);
  });

  it("gives up with a clear error after the attempts allowed", async function () {
    const [, , , , , from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 10, replaceAfterMs: 40, maxAttempts: 2 });
    await network.provider.send("evm_setAutomine", [false]);
    const err = await sender.send({ to: to.address, value: 1n }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(TransactionStuckError);
    expect((err as TransactionStuckError).hashes.length).to.equal(2);
    await network.provider.send("evm_mine", []);
  });

  it("reconciles a nonce already used by another sender instead of resending blindly", async function () {
    const [, , , , , , , from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 10, replaceAfterMs: 100 });
    await sender.send({ to: to.address, value: 1n }); // initialises the local nonce
    await from.sendTransaction({ to: to.address, value: 2n }); // same key, another process
    const err = await sender.send({ to: to.address, value: 3n }).catch((e: unknown) => e);
    expect(String((err as Error).message)).to.match(/not sent by this sender/);
    const next = await sender.send({ to: to.address, value: 4n }); // and it carries on at the right nonce
    expect(next.status).to.equal(1);
  });

  it("reconciles at once, without waiting replaceAfterMs, when another process with the key has mined the nonce", async function () {
    const [, , , , , , , , , , , , , , , from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 10, replaceAfterMs: 60_000 });
    await sender.send({ to: to.address, value: 1n }); // initialises the local nonce
    await from.sendTransaction({ to: to.address, value: 2n }); // same key, another process (glassbox node opt-in, say)
    const started = Date.now();
    const err = await sender.send({ to: to.address, value: 3n }).catch((e: unknown) => e);
    expect(String((err as Error).message)).to.match(/not sent by this sender/);
    expect(Date.now() - started).to.be.below(5_000);
    const next = await sender.send({ to: to.address, value: 4n });
    expect(next.status).to.equal(1);
  });

  it("adds the gas margin to the estimate", async function () {
    const [, , , , , , , , , from, to] = await ethers.getSigners();
    const sender = new TxSender(from, { pollMs: 10, gasMarginPercent: 30 });
    const estimate = await ethers.provider.estimateGas({ from: from.address, to: to.address, value: 1n });
    const receipt = await sender.send({ to: to.address, value: 1n });
    expect((await ethers.provider.getTransaction(receipt.hash))!.gasLimit).to.equal((estimate * 130n) / 100n);
  });

  it("counts a transaction the endpoint reported as failed but mined as sent, and never resends it", async function () {
    const [, , , , , , , , , , , from, to] = await ethers.getSigners();
    const token = await (await ethers.getContractFactory("GlassboxToken")).deploy(from.address);
    const sender = new TxSender(from, { pollMs: 10 });
    const before = await ethers.provider.getTransactionCount(from.address);
    // A transfer beyond the balance, with the gas given: mined, reverted, and reported by Hardhat as an error.
    const call = await token.transfer.populateTransaction(to.address, 1n);
    const receipt = await sender.send({ ...call, gasLimit: 100_000n });
    expect(receipt.status).to.equal(0);
    expect(await ethers.provider.getTransactionCount(from.address)).to.equal(before + 1);
    const next = await sender.send({ to: to.address, value: 1n }); // the next nonce, not a resend
    expect((await ethers.provider.getTransaction(next.hash))!.nonce).to.equal(before + 1);
  });

  it("reads the nonce from the chain again after a failure, so another sender's transaction in between costs nothing", async function () {
    const [, , , , , , , , , , , , , from, to] = await ethers.getSigners();
    const token = await (await ethers.getContractFactory("GlassboxToken")).deploy(from.address);
    const sender = new TxSender(from, { pollMs: 10, replaceAfterMs: 100 });
    await sender.send({ to: to.address, value: 1n }); // initialises the local nonce
    // The estimate of a transfer beyond the balance fails: nothing is sent, the nonce is forgotten.
    const call = await token.transfer.populateTransaction(to.address, 1n);
    expect(await sender.send(call).catch((e: unknown) => e)).to.be.instanceOf(Error);
    await from.sendTransaction({ to: to.address, value: 2n }); // same key, another process
    const next = await sender.send({ to: to.address, value: 3n });
    expect(next.status).to.equal(1);
    expect((await ethers.provider.getTransaction(next.hash))!.nonce).to.equal((await ethers.provider.getTransactionCount(from.address)) - 1);
  });

  it("refuses a fee bump too small for nodes to accept", function () {
    expect(() => new TxSender(ethers.Wallet.createRandom(), { bumpPercent: 5 })).to.throw(/at least 10/);
    expect(() => new TxSender(ethers.Wallet.createRandom(), { gasMarginPercent: -1 })).to.throw(/gasMarginPercent/);
  });
});
