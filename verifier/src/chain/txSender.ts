/**
 * Sends a key's transactions one nonce at a time and sees each through to a receipt:
 *   - one local nonce counter per key, initialised from the pending count;
 *   - a transaction not mined within `replaceAfterMs` is replaced at the same nonce with fees
 *     raised by `bumpPercent` (at least the 10% most nodes require, 12.5% by default);
 *   - "nonce too low", "already known" and "replacement underpriced" mean one of our transactions
 *     at that nonce may be in: they are reconciled against the chain instead of being resent blindly;
 *   - attempts are bounded, and every failure says what happened and what to try.
 */
import type { Provider, Signer, TransactionReceipt, TransactionRequest, TransactionResponse } from "ethers";

export interface SenderOptions {
  /** How long a transaction may stay unmined before it is replaced. */
  replaceAfterMs: number;
  /** Fee increase of each replacement, in percent (>= 10). */
  bumpPercent: number;
  /** Most transactions sent for one nonce (the first plus its replacements). */
  maxAttempts: number;
  /** How often to look for a receipt. */
  pollMs: number;
}

export const DEFAULT_SENDER_OPTIONS: SenderOptions = { replaceAfterMs: 30_000, bumpPercent: 12.5, maxAttempts: 5, pollMs: 1_000 };

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

const POSSIBLY_SENT = /nonce too low|already known|known transaction|replacement (transaction )?underpriced|nonce has already been used/i;

export class TxSender {
  private nextNonce: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly options: SenderOptions;

  constructor(
    private readonly signer: Signer,
    options: Partial<SenderOptions> = {},
  ) {
    this.options = { ...DEFAULT_SENDER_OPTIONS, ...options };
    if (this.options.bumpPercent < 10) throw new Error("bumpPercent must be at least 10: nodes reject smaller replacements");
    if (this.options.maxAttempts < 1) throw new Error("maxAttempts must be at least 1");
  }

  private get provider(): Provider {
    if (!this.signer.provider) throw new Error("the signer has no provider; connect it to an RPC first");
    return this.signer.provider;
  }

  /** Sends `request` at the next nonce and resolves with its (or its replacement's) receipt. */
  send(request: TransactionRequest): Promise<TransactionReceipt> {
    // One transaction in flight per key: nonces stay in order and never skip.
    const run = this.queue.then(() => this.sendNow(request));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(request: TransactionRequest): Promise<TransactionReceipt> {
    const address = await this.signer.getAddress();
    if (this.nextNonce === undefined) this.nextNonce = await this.provider.getTransactionCount(address, "pending");
    const nonce = this.nextNonce;
    const populated = await this.signer.populateTransaction({ ...request, nonce });
    const sent: TransactionResponse[] = [];
    let fees = await this.initialFees(populated);
    for (let attempt = 1; attempt <= this.options.maxAttempts; attempt++) {
      try {
        sent.push(await this.signer.sendTransaction({ ...populated, ...fees, nonce }));
      } catch (err) {
        if (!POSSIBLY_SENT.test(String((err as Error).message))) throw err;
        // One of ours (or someone else's) holds this nonce: see whether it is mined.
      }
      const receipt = await this.waitForAny(sent, this.options.replaceAfterMs);
      if (receipt) {
        this.nextNonce = nonce + 1;
        return receipt;
      }
      const mined = await this.provider.getTransactionCount(address, "latest");
      if (mined > nonce) {
        // The nonce was used by a transaction we did not send from here (another process with the
        // same key). Move on; the caller reconciles what it wanted against the chain.
        this.nextNonce = mined;
        throw new Error(`nonce ${nonce} was used by a transaction not sent by this sender; reconcile the job's state on-chain`);
      }
      fees = this.bump(fees);
    }
    throw new TransactionStuckError(nonce, sent.map((s) => s.hash));
  }

  private async initialFees(tx: TransactionRequest): Promise<Fees> {
    if (tx.maxFeePerGas != null && tx.maxPriorityFeePerGas != null) {
      return { maxFeePerGas: BigInt(tx.maxFeePerGas), maxPriorityFeePerGas: BigInt(tx.maxPriorityFeePerGas) };
    }
    const data = await this.provider.getFeeData();
    return { maxFeePerGas: data.maxFeePerGas ?? 0n, maxPriorityFeePerGas: data.maxPriorityFeePerGas ?? 0n };
  }

  private bump(fees: Fees): Fees {
    const num = BigInt(Math.round((100 + this.options.bumpPercent) * 100));
    const up = (v: bigint) => (v * num + 9_999n) / 10_000n + 1n;
    return { maxFeePerGas: up(fees.maxFeePerGas), maxPriorityFeePerGas: up(fees.maxPriorityFeePerGas) };
  }

  /** The receipt of whichever of `sent` is mined first, or undefined after `timeoutMs`. */
  private async waitForAny(sent: TransactionResponse[], timeoutMs: number): Promise<TransactionReceipt | undefined> {
    const deadline = Date.now() + timeoutMs;
    do {
      for (const tx of sent) {
        const receipt = await this.provider.getTransactionReceipt(tx.hash);
        if (receipt) return receipt;
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs));
    } while (Date.now() < deadline);
    return undefined;
  }
}

interface Fees {
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}
