/**
 * TxSender on a real interval-mined chain: anvil with a block every second and no automine, so a
 * transaction waits in the mempool for the next block, blocks come whether or not anything is sent,
 * and the chain's clock is the wall clock. packages/node/test/txSender.ts covers the same sender on
 * Hardhat's in-process network, where a block comes only when a test asks for one.
 *
 * How a test keeps a transaction out of blocks while they keep coming: anvil keeps a transaction
 * whose gas limit exceeds the block gas limit pending (it is skipped, not dropped), so the block gas
 * limit is lowered just after the transaction is accepted (anvil refuses one that does not fit at
 * submission) and raised again when the test wants it mined. A fee cap below the base fee does not
 * work for that: anvil drops such a transaction from its pool at the next block (geth would keep it).
 * The few RPCs that set a condition around a send run with interval mining paused for those
 * milliseconds, so that no block falls between the send and the condition.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { AbstractSigner, HDNodeWallet, type JsonRpcProvider, type Provider, type TransactionRequest, type TransactionResponse, type TypedDataDomain, type TypedDataField } from "ethers";
import { HARDHAT_MNEMONIC, freePort, sleep, startChain } from "../../../scripts/devnet/chain";
import { ProcessGroup } from "../../../scripts/devnet/processes";
import { NonceGapError, TxSender } from "../src/chain/txSender";

const ROOT = path.resolve(__dirname, "..", "..", "..");
/** Anvil's default block gas limit, restored after every test. */
const BLOCK_GAS_LIMIT = 30_000_000n;
/** Below a plain transfer's gas limit with TxSender's margin (21,000 + 30%), above 21,000. */
const TOO_SMALL_FOR_IT = 25_000n;
/** Anvil's first base fee (1 gwei), set again after every test. */
const ORDINARY_BASE_FEE = 1_000_000_000n;

/** One transaction the node accepted from the sender. */
interface Sent {
  hash: string;
  raw: string;
  nonce: number;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  /** Date.now() when the node accepted it. */
  at: number;
}

/**
 * A wallet that records every transaction it sends and lets a test act just before and just after
 * each one reaches the node (`before`/`after` get the 1-based index of the send).
 */
class RecordingSigner extends AbstractSigner {
  readonly sent: Sent[] = [];
  before: (n: number) => Promise<void> = async () => undefined;
  /** Runs even when the node refused the transaction (then `tx` is undefined). */
  after: (n: number, tx: Sent | undefined) => Promise<void> = async () => undefined;

  constructor(
    private readonly wallet: HDNodeWallet,
    provider: Provider,
  ) {
    super(provider);
  }

  getAddress(): Promise<string> {
    return Promise.resolve(this.wallet.address);
  }

  connect(provider: Provider): RecordingSigner {
    return new RecordingSigner(this.wallet, provider);
  }

  signTransaction(tx: TransactionRequest): Promise<string> {
    return this.wallet.signTransaction(tx);
  }

  signMessage(message: string | Uint8Array): Promise<string> {
    return this.wallet.signMessage(message);
  }

  signTypedData(domain: TypedDataDomain, types: Record<string, TypedDataField[]>, value: Record<string, unknown>): Promise<string> {
    return this.wallet.signTypedData(domain, types, value);
  }

  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    const populated = await this.populateTransaction(request);
    const raw = await this.wallet.signTransaction(populated);
    const n = this.sent.length + 1;
    await this.before(n);
    let sent: Sent | undefined;
    try {
      const response = await this.provider!.broadcastTransaction(raw);
      sent = {
        hash: response.hash,
        raw,
        nonce: response.nonce,
        maxFeePerGas: response.maxFeePerGas ?? 0n,
        maxPriorityFeePerGas: response.maxPriorityFeePerGas ?? 0n,
        at: Date.now(),
      };
      this.sent.push(sent);
      return response;
    } finally {
      await this.after(n, sent);
    }
  }
}

describe("TxSender on anvil (a block every second, no automine)", function () {
  this.timeout(30_000);
  const group = new ProcessGroup();
  let removeExitHooks: () => void = () => undefined;
  let dir: string;
  let provider: JsonRpcProvider;
  let nextAccount = 13; // the devnet uses accounts 0..11; each test takes a fresh key

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-txsender-anvil-"));
    // Kills anvil if this process exits without reaching `after` (a crash, Ctrl-C).
    removeExitHooks = group.stopOnExit();
    const chain = await startChain(group, { root: ROOT, port: await freePort(), kind: "anvil", logFile: path.join(dir, "anvil.log") });
    provider = chain.provider;
  });

  after(async function () {
    provider?.destroy();
    await group.stopAll();
    removeExitHooks();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  afterEach(async function () {
    // Whatever a test did to the chain (a failing one included), the next one starts from blocks that
    // come every second, have room, and an ordinary base fee: a spike armed for the next block is
    // replaced, and one block is let through.
    await provider.send("evm_setIntervalMining", [1]);
    await provider.send("anvil_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)]);
    await provider.send("anvil_setNextBlockBaseFeePerGas", [hex(ORDINARY_BASE_FEE)]);
    await untilBlock((await provider.getBlockNumber()) + 1);
  });

  function freshSigner(): RecordingSigner {
    const wallet = HDNodeWallet.fromPhrase(HARDHAT_MNEMONIC, undefined, `m/44'/60'/0'/0/${nextAccount++}`);
    return new RecordingSigner(wallet, provider);
  }

  /**
   * Every send of `signer` reaches the node with interval mining paused; `steps.before` runs just
   * before it, `steps.after` just after it (also when the node refused it), then blocks resume. So no
   * block falls between a send and the condition a test sets around it.
   */
  function aroundSends(signer: RecordingSigner, steps: { before?: (n: number) => Promise<void>; after?: (n: number, tx: Sent | undefined) => Promise<void> }): void {
    signer.before = async (n) => {
      await provider.send("evm_setIntervalMining", [0]);
      await steps.before?.(n);
    };
    signer.after = async (n, tx) => {
      try {
        await steps.after?.(n, tx);
      } finally {
        await provider.send("evm_setIntervalMining", [1]);
      }
    };
  }

  /** Blocks no longer have room for a transfer sent by TxSender: one in the pool stays there. */
  async function keepOutOfBlocks(): Promise<void> {
    await provider.send("anvil_setBlockGasLimit", [hex(TOO_SMALL_FOR_IT)]);
  }

  async function letBlocksTakeIt(): Promise<void> {
    await provider.send("anvil_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)]);
  }

  async function untilBlock(n: number): Promise<void> {
    while ((await provider.getBlockNumber()) < n) await sleep(100);
  }

  async function poolHas(hash: string): Promise<boolean> {
    const content = (await provider.send("txpool_content", [])) as { pending: Record<string, Record<string, { hash: string }>> };
    return Object.values(content.pending).some((byNonce) => Object.values(byNonce).some((tx) => tx.hash === hash));
  }

  async function untilSent(signer: RecordingSigner, n: number): Promise<void> {
    while (signer.sent.length < n) await sleep(50);
  }

  async function counts(address: string): Promise<{ pending: number; latest: number }> {
    const [pending, latest] = await Promise.all([provider.getTransactionCount(address, "pending"), provider.getTransactionCount(address, "latest")]);
    return { pending, latest };
  }

  describe("a transaction that waits in the mempool for several blocks", function () {
    it("is sent once, mined at its nonce three or more blocks later, and its own receipt is returned", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const sender = new TxSender(signer, { replaceAfterMs: 15_000, pollMs: 200 });
      const nonce = await provider.getTransactionCount(address, "pending");
      aroundSends(signer, { after: (n) => (n === 1 ? keepOutOfBlocks() : Promise.resolve()) });
      let sentAtBlock = 0;
      let pooledAfterThreeBlocks = false;
      let done = false;
      const release = (async () => {
        while (signer.sent.length === 0 && !done) await sleep(50);
        if (done) return;
        sentAtBlock = await provider.getBlockNumber();
        while (!done && (await provider.getBlockNumber()) < sentAtBlock + 3) await sleep(100);
        if (done) return;
        pooledAfterThreeBlocks = await poolHas(signer.sent[0].hash);
        await letBlocksTakeIt();
      })();

      // `release` is over before the test is, whichever way `send` ends.
      const receipt = await sender.send({ to: address, value: 1n }).finally(() => (done = true));
      await release;

      expect(signer.sent.map((s) => s.hash), "hashes sent").to.deep.equal([receipt.hash]);
      expect(pooledAfterThreeBlocks, "still in the pool three blocks after it was sent").to.equal(true);
      expect(receipt.blockNumber - sentAtBlock).to.be.at.least(3);
      expect((await provider.getTransaction(receipt.hash))!.nonce).to.equal(nonce);
      expect(await counts(address)).to.deep.equal({ pending: nonce + 1, latest: nonce + 1 });
    });
  });

  describe("a transaction still unmined after replaceAfterMs", function () {
    it("is replaced at the same nonce with fees raised by bumpPercent; the replacement is mined and its receipt returned", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const replaceAfterMs = 2_500;
      const sender = new TxSender(signer, { replaceAfterMs, pollMs: 200, bumpPercent: 12.5 });
      const nonce = await provider.getTransactionCount(address, "pending");
      // The replacement meets blocks that have room for it again; the original, replaced by it in the
      // pool, is no longer there to be mined.
      aroundSends(signer, {
        before: (n) => (n === 2 ? letBlocksTakeIt() : Promise.resolve()),
        after: (n) => (n === 1 ? keepOutOfBlocks() : Promise.resolve()),
      });
      // If no replacement ever comes, let the original be mined so that the test fails on what was sent.
      const fallback = setTimeout(() => void letBlocksTakeIt(), 10_000);

      const receipt = await sender.send({ to: address, value: 1n }).finally(() => clearTimeout(fallback));

      expect(signer.sent.length, "transactions sent").to.equal(2);
      const [original, replacement] = signer.sent;
      expect(replacement.nonce).to.equal(original.nonce);
      expect(replacement.at - original.at).to.be.at.least(replaceAfterMs);
      expect(replacement.maxFeePerGas >= (original.maxFeePerGas * 1125n) / 1000n).to.equal(true);
      expect(replacement.maxPriorityFeePerGas >= (original.maxPriorityFeePerGas * 1125n) / 1000n).to.equal(true);
      expect(receipt.hash).to.equal(replacement.hash);
      expect(await provider.getTransactionReceipt(original.hash)).to.equal(null);
      expect(await poolHas(original.hash)).to.equal(false);

      const next = await sender.send({ to: address, value: 2n });
      expect((await provider.getTransaction(next.hash))!.nonce).to.equal(nonce + 1);
      expect(signer.sent.length).to.equal(3);
      expect(await counts(address)).to.deep.equal({ pending: nonce + 2, latest: nonce + 2 });
    });

    it("is replaced at a fee the current base fee admits when the base fee has risen past the original's cap", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const sender = new TxSender(signer, { replaceAfterMs: 2_500, pollMs: 200, bumpPercent: 12.5 });
      // Just after the original is accepted, the next block's base fee jumps to three times its fee
      // cap (a congestion spike). Anvil drops the original at that block (geth would keep it queued);
      // either way the sender must come back at a fee the blocks accept, not a mere 12.5% more.
      aroundSends(signer, {
        after: async (n, tx) => {
          if (n === 1 && tx) await provider.send("anvil_setNextBlockBaseFeePerGas", [hex(tx.maxFeePerGas * 3n)]);
        },
      });

      const receipt = await sender.send({ to: address, value: 1n });

      expect(signer.sent.length, "transactions sent").to.equal(2);
      const [original, replacement] = signer.sent;
      expect(receipt.hash).to.equal(replacement.hash);
      expect(replacement.nonce).to.equal(original.nonce);
      const block = await provider.getBlock(receipt.blockNumber);
      expect(block!.baseFeePerGas! > original.maxFeePerGas, "the spike was still on when the replacement was mined").to.equal(true);
      expect(await counts(address)).to.deep.equal({ pending: original.nonce + 1, latest: original.nonce + 1 });
    });
  });

  describe("a replaced transaction whose original is mined after all", function () {
    it("resolves with the original's receipt as soon as it is mined, without sending again", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const replaceAfterMs = 3_000;
      const sender = new TxSender(signer, { replaceAfterMs, pollMs: 200 });
      const nonce = await provider.getTransactionCount(address, "pending");
      // As the replacement reaches the node, the original (already with a block builder elsewhere, say)
      // wins: the replacement is dropped, the original is back in the pool and blocks have room for it.
      aroundSends(signer, {
        before: (n) => (n === 2 ? letBlocksTakeIt() : Promise.resolve()),
        after: async (n, tx) => {
          if (n === 1) await keepOutOfBlocks();
          if (n === 2 && tx) {
            await provider.send("anvil_dropTransaction", [tx.hash]);
            await provider.send("eth_sendRawTransaction", [signer.sent[0].raw]);
          }
        },
      });

      const receipt = await sender.send({ to: address, value: 1n });
      const resolvedAt = Date.now();

      expect(signer.sent.length, "transactions sent").to.equal(2);
      const [original, replacement] = signer.sent;
      expect(receipt.hash).to.equal(original.hash);
      expect(await provider.getTransactionReceipt(replacement.hash)).to.equal(null);
      // Recognised while waiting on the replacement (it polls every hash it sent), not replaceAfterMs later.
      expect(resolvedAt - replacement.at).to.be.below(replaceAfterMs - 500);

      const next = await sender.send({ to: address, value: 2n });
      expect((await provider.getTransaction(next.hash))!.nonce).to.equal(nonce + 1);
      expect(signer.sent.length).to.equal(3);
      expect(await counts(address)).to.deep.equal({ pending: nonce + 2, latest: nonce + 2 });
    });
  });

  describe("a reorganisation that removes the sender's previous, mined transaction", function () {
    it("fails the next send at once with NonceGapError, and the send after it refills the gap from the mined count", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const sender = new TxSender(signer, { replaceAfterMs: 20_000, pollMs: 200 });
      const first = await sender.send({ to: address, value: 1n });
      const firstNonce = (await provider.getTransaction(first.hash))!.nonce;
      // The next transaction stays in the pool; then the block of the first is replaced.
      aroundSends(signer, { after: async () => keepOutOfBlocks() });
      const second = sender.send({ to: address, value: 2n }).catch((e: unknown) => e);
      await untilSent(signer, 2);
      signer.before = async () => undefined;
      signer.after = async () => undefined;
      await provider.send("evm_setIntervalMining", [0]);
      const head = await provider.getBlockNumber();
      await provider.send("anvil_reorg", [head - first.blockNumber + 1, []]);
      await provider.send("evm_setIntervalMining", [1]);
      const reorgedAt = Date.now();
      expect(await provider.getTransactionReceipt(first.hash), "the first transaction is gone").to.equal(null);

      const err = await second;
      expect(err).to.be.instanceOf(NonceGapError);
      expect((err as NonceGapError).removed).to.equal(first.hash);
      expect(Date.now() - reorgedAt, "noticed long before replaceAfterMs").to.be.below(5_000);
      // Anvil still counts the stranded transaction as pending: the next send must start from the mined count.
      expect(await counts(address)).to.deep.equal({ pending: firstNonce + 2, latest: firstNonce });
      await letBlocksTakeIt();
      const refill = await sender.send({ to: address, value: 3n });
      expect((await provider.getTransaction(refill.hash))!.nonce).to.equal(firstNonce);
      expect(refill.status).to.equal(1);
    });
  });

  describe("several sends from one key in flight while blocks come on their own", function () {
    it("are all mined, at consecutive nonces in the order they were asked for, each sent once", async function () {
      const signer = freshSigner();
      const address = await signer.getAddress();
      const sender = new TxSender(signer, { replaceAfterMs: 10_000, pollMs: 200 });
      const nonce = await provider.getTransactionCount(address, "pending");

      const receipts = await Promise.all([1n, 2n, 3n, 4n, 5n].map((value) => sender.send({ to: address, value })));

      expect(receipts.map((r) => r.status)).to.deep.equal([1, 1, 1, 1, 1]);
      const txs = await Promise.all(receipts.map(async (r) => (await provider.getTransaction(r.hash))!));
      expect(txs.map((t) => t.nonce)).to.deep.equal([0, 1, 2, 3, 4].map((i) => nonce + i));
      expect(txs.map((t) => t.value)).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
      expect(signer.sent.map((s) => s.hash), "one transaction sent per nonce").to.deep.equal(receipts.map((r) => r.hash));
      expect(await counts(address)).to.deep.equal({ pending: nonce + 5, latest: nonce + 5 });
    });
  });
});

function hex(v: bigint): string {
  return "0x" + v.toString(16);
}
