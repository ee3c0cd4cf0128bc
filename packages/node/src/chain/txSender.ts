/**
 * Sends a key's transactions one nonce at a time and sees each through to a receipt:
 *   - one local nonce counter per key, initialised from the pending count;
 *   - a transaction not mined within `replaceAfterMs` is replaced at the same nonce with fees
 *     raised by `bumpPercent` (at least the 10% most nodes require, 12.5% by default), or at the
 *     market's fees of the moment if those are higher (a base fee that has risen past the last
 *     attempt's cap would leave a mere bump unminable, and some nodes refuse it outright);
 *   - "nonce too low", "already known" and "replacement underpriced" mean one of our transactions
 *     at that nonce may be in: they are reconciled against the chain instead of being resent blindly;
 *   - an endpoint that answers a mined-but-reverted transaction with an error (Hardhat's automine
 *     does) is caught: the nonce is used by our own call, so it counts as sent, never resent;
 *   - gas estimates get a margin, since the state a transaction meets may differ from the estimate's;
 *   - a reorganisation that removes this sender's previous transaction leaves a nonce gap no later
 *     transaction can cross: the wait for the next one's receipt notices the previous receipt gone
 *     and throws NonceGapError at once, and the next send starts from the mined count (`latest`),
 *     refilling the gap, instead of the pending count, which still counts the stranded transaction;
 *   - attempts are bounded, and every failure says what happened and what to try.
 */
import type { Provider, Signer, TransactionReceipt, TransactionRequest } from "ethers";

export interface SenderOptions {
  /** How long a transaction may stay unmined before it is replaced. */
  replaceAfterMs: number;
  /** Fee increase of each replacement, in percent (>= 10). */
  bumpPercent: number;
  /** Most transactions sent for one nonce (the first plus its replacements). */
  maxAttempts: number;
  /** How often to look for a receipt. */
  pollMs: number;
  /** Gas added to each estimate, in percent (state may change between estimate and inclusion). */
  gasMarginPercent: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = { replaceAfterMs: 30_000, bumpPercent: 12.5, maxAttempts: 5, pollMs: 1_000, gasMarginPercent: 30 };

/** How far back `minedAt` looks for a transaction the endpoint reported as failed. */
const RECENT_BLOCKS = 8;

/** `gas` raised by `percent` percent: the margin every estimate gets. */
export function withMargin(gas: bigint, percent: number): bigint {
  return (gas * BigInt(100 + Math.round(percent))) / 100n;
}

/** Thrown when a nonce could not be mined within the attempts allowed. */
export class TransactionStuckError extends Error {
  constructor(
    readonly nonce: number,
    readonly hashes: string[],
  ) {
    super(`transaction at nonce ${nonce} not mined after ${hashes.length} attempt(s) (${hashes.join(", ")}); raise maxAttempts or the fee bump, or check the RPC`);
    this.name = "TransactionStuckError";
  }
}

/** Thrown when this sender's previous transaction is no longer mined (a reorganisation removed it). */
export class NonceGapError extends Error {
  constructor(
    readonly nonce: number,
    readonly removed: string,
  ) {
    super(`transaction ${removed} at nonce ${nonce - 1} is no longer mined (a reorganisation removed it), so nonce ${nonce} cannot be mined before it is filled; the next send starts from the mined count`);
    this.name = "NonceGapError";
  }
}

const POSSIBLY_SENT = /nonce too low|already known|known transaction|replacement (transaction )?underpriced|nonce has already been used/i;

export class TxSender {
  private nextNonce: number | undefined;
  /** Which count the next send reads when `nextNonce` is unknown. */
  private resyncFrom: "pending" | "latest" = "pending";
  /** This sender's last mined transaction (its nonce and hash), checked while the next one waits. */
  private previous: { nonce: number; hash: string } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly options: SenderOptions;

  constructor(
    private readonly signer: Signer,
    options: Partial<SenderOptions> = {},
  ) {
    this.options = { ...DEFAULT_SENDER_OPTIONS, ...options };
    if (this.options.bumpPercent < 10) throw new Error("bumpPercent must be at least 10: nodes reject smaller replacements");
    if (this.options.maxAttempts < 1) throw new Error("maxAttempts must be at least 1");
    if (!(this.options.gasMarginPercent >= 0 && this.options.gasMarginPercent <= 200)) throw new Error("gasMarginPercent must be from 0 to 200");
  }

  private get provider(): Provider {
    if (!this.signer.provider) throw new Error("the signer has no provider; connect it to an RPC first");
    return this.signer.provider;
  }

  /** Sends `request` at the next nonce and resolves with its (or its replacement's) receipt. */
  send(request: TransactionRequest): Promise<TransactionReceipt> {
    // One transaction in flight per key: nonces stay in order and never skip.
    const run = this.queue.then(() =>
      this.sendNow(request).catch((err: unknown) => {
        // Whatever went wrong, the next transaction reads its nonce from the chain again.
        this.resync(err instanceof NonceGapError ? "latest" : "pending");
        throw err;
      }),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Forgets the local nonce: the next send reads the pending count (after a failure), or the mined
   * count (`latest`, after a reorganisation: its removed transactions leave a gap that the pending
   * count of some nodes, anvil's among them, still counts as filled).
   */
  resync(from: "pending" | "latest" = "pending"): void {
    this.nextNonce = undefined;
    this.resyncFrom = from;
    this.previous = undefined;
  }

  /** How many of this key's transactions are sent but not mined (pending count minus latest). */
  async inFlight(): Promise<number> {
    const address = await this.signer.getAddress();
    const [pending, latest] = await Promise.all([this.provider.getTransactionCount(address, "pending"), this.provider.getTransactionCount(address, "latest")]);
    return Math.max(0, pending - latest);
  }

  private async sendNow(request: TransactionRequest): Promise<TransactionReceipt> {
    const address = await this.signer.getAddress();
    if (this.nextNonce === undefined) {
      this.nextNonce = await this.provider.getTransactionCount(address, this.resyncFrom);
      this.resyncFrom = "pending";
    }
    const nonce = this.nextNonce;
    const populated = await this.signer.populateTransaction({ ...request, nonce });
    // An estimate is made against the state of now; by the time the transaction is mined another one
    // may have changed what it does (the last quorum commit opens the reveal phase, say). A margin
    // keeps such a transaction from running out of gas, which would burn the nonce for nothing.
    if (request.gasLimit == null) {
      const estimate = populated.gasLimit ?? (await this.provider.estimateGas({ ...populated, from: address }));
      populated.gasLimit = withMargin(BigInt(estimate), this.options.gasMarginPercent);
    }
    const sent: string[] = [];
    let fees = await this.initialFees(populated);
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        sent.push((await this.signer.sendTransaction({ ...populated, ...fees, nonce })).hash);
      } catch (err) {
        if (!POSSIBLY_SENT.test(String((err as Error).message))) {
          // Some endpoints (Hardhat's automine among them) answer a transaction that was mined but
          // reverted with an error: if the nonce is now used by this very transaction, it was sent.
          const mined = await this.minedAt(address, nonce, populated);
          if (!mined) throw err;
          sent.push(mined);
        }
        // Otherwise one of ours (or someone else's) holds this nonce: see whether it is mined.
      }
      // Nothing sent from here and the nonce already mined: another process with this key (an
      // operator's `glassbox node opt-in`, say) took it. Nothing can come of waiting: reconcile now.
      const taken = sent.length === 0 && (await this.provider.getTransactionCount(address, "latest")) > nonce;
      const receipt = taken ? undefined : await this.waitForAny(sent, this.options.replaceAfterMs, nonce);
      if (receipt) {
        this.nextNonce = nonce + 1;
        this.previous = { nonce, hash: receipt.hash };
        return receipt;
      }
      const mined = await this.provider.getTransactionCount(address, "latest");
      if (mined > nonce) {
        // Mined since the wait ended: ours, if one of our hashes has a receipt now.
        const late = await this.receiptOfAny(sent);
        if (late) {
          this.nextNonce = nonce + 1;
          this.previous = { nonce, hash: late.hash };
          return late;
        }
        // The nonce was used by a transaction we did not send from here (another process with the
        // same key). Move on; the caller reconciles what it wanted against the chain.
        this.nextNonce = mined;
        throw new Error(`nonce ${nonce} was used by a transaction not sent by this sender; reconcile the job's state on-chain`);
      }
      fees = await this.replacementFees(fees);
    }
    throw new TransactionStuckError(nonce, sent);
  }

  /**
   * The hash of the transaction from `address` at `nonce` in the last few blocks, if it carries the
   * same call as `tx` (so it is this sender's), else undefined.
   */
  private async minedAt(address: string, nonce: number, tx: TransactionRequest): Promise<string | undefined> {
    if ((await this.provider.getTransactionCount(address, "latest")) <= nonce) return undefined;
    const head = await this.provider.getBlockNumber();
    for (let n = head; n >= 0 && n > head - RECENT_BLOCKS; n--) {
      const block = await this.provider.getBlock(n, true);
      for (const candidate of block?.prefetchedTransactions ?? []) {
        if (candidate.from.toLowerCase() !== address.toLowerCase() || candidate.nonce !== nonce) continue;
        const same = candidate.data === (tx.data ?? "0x") && (candidate.to ?? "").toLowerCase() === String(tx.to ?? "").toLowerCase();
        return same ? candidate.hash : undefined;
      }
    }
    return undefined;
  }

  private async initialFees(tx: TransactionRequest): Promise<Fees> {
    if (tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null) {
      return { maxFeePerGas: BigInt(tx.maxFeePerGas), maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas) };
    }
    const data = await this.provider.getFeeData();
    return { maxFeePerGas: data.maxFeePerGas ?? 0n, maxPriorityFeePerGas: data.maxPriorityFeePerGas ?? 0n };
  }

  /**
   * The fees of the next attempt: the last one's raised by bumpPercent (what a node requires to
   * replace it), or the market's now where that is higher. Without the latter, a transaction whose
   * cap the base fee has overtaken is replaced by one still below it (anvil refuses that with "max fee
   * per gas less than block base fee"; geth keeps it unminable until the attempts run out).
   */
  private async replacementFees(last: Fees): Promise<Fees> {
    const bumped = this.bump(last);
    const market = await this.provider.getFeeData().catch(() => undefined); // no market data: the bump alone
    const max = (a: bigint, b: bigint | null | undefined) => (b != null && b > a ? b : a);
    return { maxFeePerGas: max(bumped.maxFeePerGas, market?.maxFeePerGas), maxPriorityFeePerGas: max(bumped.maxPriorityFeePerGas, market?.maxPriorityFeePerGas) };
  }

  private bump(fees: Fees): Fees {
    const num = BigInt(Math.round((100 + this.options.bumpPercent) * 100));
    const up = (v: bigint) => (v * num + 9_999n) / 10_000n + 1n;
    return { maxFeePerGas: up(fees.maxFeePerGas), maxPriorityFeePerGas: up(fees.maxPriorityFeePerGas) };
  }

  /**
   * The receipt of whichever of `sent` (hashes, at `nonce`) is mined first, or undefined after
   * `timeoutMs`. Throws NonceGapError once this sender's previous transaction (at nonce - 1) has
   * lost its receipt on two polls in a row (one miss may be a lagging endpoint behind a balancer):
   * nothing at `nonce` can be mined then.
   */
  private async waitForAny(sent: string[], timeoutMs: number, nonce: number): Promise<TransactionReceipt | undefined> {
    const deadline = Date.now() + timeoutMs;
    let misses = 0;
    do {
      const receipt = await this.receiptOfAny(sent);
      if (receipt) return receipt;
      const previous = this.previous;
      if (previous?.nonce === nonce - 1) {
        misses = (await this.provider.getTransactionReceipt(previous.hash)) === null ? misses + 1 : 0;
        if (misses >= 2) throw new NonceGapError(nonce, previous.hash);
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs));
    } while (Date.now() < deadline);
    return undefined;
  }

  /** The receipt of one of `sent` (hashes) if any is mined now. */
  private async receiptOfAny(sent: string[]): Promise<TransactionReceipt | undefined> {
    for (const hash of sent) {
      const receipt = await this.provider.getTransactionReceipt(hash);
      if (receipt) return receipt;
    }
    return undefined;
  }
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}
