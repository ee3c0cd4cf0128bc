/**
 * Follows a chain's logs without filters held by the RPC server: `eth_getLogs` over bounded block
 * ranges up to `head - confirmations`, a persisted cursor, reorganisation detection by parent hash,
 * and backfill from the cursor after a restart. One `poll()` never overlaps another.
 */
import type { Log, Provider } from "ethers";
import type { CursorStore } from "./cursorStore";

export interface PollerOptions {
  /** Contract addresses whose logs are wanted. */
  addresses: string[];
  /** Blocks to wait behind the head before handling a block's logs. */
  confirmations: number;
  /** Largest block range of one getLogs call. */
  maxRange: number;
  /** Where to start when the store has no cursor (the deployment block). */
  startBlock: number;
}

export interface LogHandler {
  /** Handles the logs of one block range, in chain order; must be idempotent. */
  onLogs(logs: Log[], range: { from: number; to: number }): Promise<void>;
  /** Called after a reorganisation removed every block above `forkBlock`. */
  onReorg(forkBlock: number, forgottenActions: string[]): Promise<void>;
}

export interface PollResult {
  from: number;
  to: number;
  logs: number;
  reorgedTo?: number;
}

export class LogPoller {
  private running: Promise<PollResult | undefined> | undefined;

  constructor(
    private readonly provider: Provider,
    private readonly store: CursorStore,
    private readonly handler: LogHandler,
    private readonly options: PollerOptions,
  ) {
    if (options.maxRange < 1) throw new Error("maxRange must be at least 1");
    if (options.confirmations < 0) throw new Error("confirmations must be 0 or more");
  }

  /** One step: detect a reorg, then handle at most `maxRange` confirmed blocks. */
  poll(): Promise<PollResult | undefined> {
    // Iterations never overlap: a caller that polls while a poll runs waits for it.
    if (!this.running) {
      this.running = this.step().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private async step(): Promise<PollResult | undefined> {
    const reorgedTo = await this.checkReorg();
    const head = await this.provider.getBlockNumber();
    const safe = head - this.options.confirmations;
    const cursor = this.store.cursor();
    const from = cursor ? cursor.block + 1 : this.options.startBlock;
    if (from > safe) return reorgedTo === undefined ? undefined : { from, to: from - 1, logs: 0, reorgedTo };
    const to = Math.min(safe, from + this.options.maxRange - 1);
    const logs = await this.provider.getLogs({ address: this.options.addresses, fromBlock: from, toBlock: to });
    const ordered = logs.filter((l) => !l.removed).sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index);
    await this.handler.onLogs(ordered, { from, to });
    this.store.advance(await this.checkpoints(ordered, to));
    return { from, to, logs: ordered.length, reorgedTo };
  }

  /**
   * Compares the recorded hash of the cursor block with the chain's; on a mismatch walks back
   * through the recorded hashes to the newest block both agree on and rewinds there.
   */
  private async checkReorg(): Promise<number | undefined> {
    const cursor = this.store.cursor();
    if (!cursor) return undefined;
    const onChain = await this.provider.getBlock(cursor.block);
    if (onChain?.hash === cursor.hash) return undefined;
    const oldest = this.store.oldestRecorded() ?? cursor.block;
    for (let b = cursor.block - 1; b >= oldest; b--) {
      const recorded = this.store.hashAt(b);
      if (recorded === undefined) continue;
      const block = await this.provider.getBlock(b);
      if (block?.hash === recorded) {
        const forgotten = this.store.rewind(b, recorded);
        await this.handler.onReorg(b, forgotten);
        return b;
      }
    }
    // The fork is older than every recorded hash: replay from the start block (handlers are idempotent).
    const base = Math.max(this.options.startBlock - 1, 0);
    const baseBlock = await this.provider.getBlock(base);
    if (!baseBlock?.hash) throw new Error(`block ${base} is not available from the RPC endpoint; check the RPC URL`);
    const forgotten = this.store.rewind(base, baseBlock.hash);
    await this.handler.onReorg(base, forgotten);
    return base;
  }

  /**
   * The hashes to remember for this range: every block that carried a log (free, from the logs)
   * and the range's last block. A reorg check later compares the newest ones with the chain and
   * rewinds to the newest that still matches; replaying a little more than needed is safe because
   * every handler is idempotent.
   */
  private async checkpoints(logs: Log[], to: number) {
    const seen = new Map<number, string>();
    for (const l of logs) seen.set(l.blockNumber, l.blockHash);
    const last = await this.provider.getBlock(to);
    if (!last?.hash) throw new Error(`block ${to} is not available from the RPC endpoint; check the RPC URL`);
    seen.set(to, last.hash);
    return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([block, hash]) => ({ block, hash }));
  }
}
