/**
 * Follows a chain's logs without filters held by the RPC server: `eth_getLogs` over bounded block
 * ranges up to `head - confirmations`, a persisted cursor, reorganisation detection by block hash
 * (of the cursor and of the blocks holding this key's own transactions), and backfill from the
 * cursor after a restart. One `poll()` never overlaps another.
 */
import type { Log, Provider } from "ethers";
import type { CursorStore } from "./cursorStore";

/** How many blocks below its newest transaction's the poller looks for a replaced one of this key's. */
export const OWN_TX_HISTORY = 256;

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
   * Finds where the chain forked, if it did, and rewinds there. Two checks: the recorded hash of the
   * cursor block against the chain's (walking back through the recorded hashes to the newest block
   * both agree on), and the block of this key's newest mined transaction against the chain's (a
   * reorganisation above the cursor, or one that removes a transaction whose event is below the
   * fork, leaves the cursor's hash alone but takes the transaction). The rewind goes below the
   * event of any action whose transaction was mined above the fork, so that the event is handled
   * again and the action retaken (handlers are idempotent and check the chain first).
   */
  private async checkReorg(): Promise<number | undefined> {
    const forks = [await this.cursorFork(), await this.ownTransactionsFork()].filter((b): b is number => b !== undefined);
    if (forks.length === 0) return undefined;
    const target = Math.max(this.store.replayFrom(Math.min(...forks)), 0);
    const block = await this.provider.getBlock(target);
    if (!block?.hash) throw new Error(`block ${target} is not available from the RPC endpoint; check the RPC URL`);
    const forgotten = this.store.rewind(target, block.hash);
    await this.handler.onReorg(target, forgotten);
    return target;
  }

  /** The newest block the cursor's history shares with the chain, if the cursor block was replaced. */
  private async cursorFork(): Promise<number | undefined> {
    const cursor = this.store.cursor();
    if (!cursor) return undefined;
    const onChain = await this.provider.getBlock(cursor.block);
    if (onChain?.hash === cursor.hash) return undefined;
    const oldest = this.store.oldestRecorded() ?? cursor.block;
    for (let b = cursor.block - 1; b >= oldest; b--) {
      const recorded = this.store.hashAt(b);
      if (recorded === undefined) continue;
      const block = await this.provider.getBlock(b);
      if (block?.hash === recorded) return b;
    }
    // The fork is older than every recorded hash: replay from the start block.
    return Math.max(this.options.startBlock - 1, 0);
  }

  /**
   * The block below the lowest of this key's recent transaction blocks that the chain replaced, if
   * any. A block's hash commits to its ancestors, so while the newest one is unchanged every older
   * one is too: one block read per poll, and a scan of the recent ones only after a change.
   */
  private async ownTransactionsFork(): Promise<number | undefined> {
    const newest = this.store.newestMined();
    if (!newest || (await this.provider.getBlock(newest.block))?.hash === newest.hash) return undefined;
    for (const mined of this.store.minedAbove(newest.block - OWN_TX_HISTORY)) {
      if ((await this.provider.getBlock(mined.block))?.hash !== mined.hash) return mined.block - 1;
    }
    return newest.block - 1;
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
