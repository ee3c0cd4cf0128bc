/**
 * Runs the explorer's index: the node's own LogPoller and CursorStore (scope "explorer") feeding an
 * ExplorerIndexer, all in one SQLite file (WAL; the cursor store and the index use their own
 * connections), with the queries over the same database. `start()` polls in a loop that catches up
 * without waiting while polls return full ranges; `stop()` ends the loop and closes the database.
 */
import type { Provider } from "ethers";
import { CursorStore } from "../chain/cursorStore";
import { LogPoller, type PollResult } from "../chain/logPoller";
import type { Deployment } from "../deployment";
import { ExplorerIndexer } from "./indexer";
import { ExplorerQueries } from "./queries";
import { openExplorerDb } from "./schema";

/** The cursor store's scope of the explorer's index. */
export const EXPLORER_SCOPE = "explorer";

export interface ExplorerIndexOptions {
  provider: Provider;
  deployment: Pick<Deployment, "contracts" | "deploymentBlock">;
  /** The SQLite file (created if need be); ":memory:" is refused (the cursor store needs the same file). */
  dbFile: string;
  /** Blocks to wait behind the head (default 2). */
  confirmations?: number;
  /** Largest block range of one getLogs call (default 1,000). */
  maxRange?: number;
  /** Milliseconds between polls once caught up (default 2,000). */
  pollMs?: number;
  /** Told of every failed poll (the loop backs off and goes on); default: console.error. */
  onError?: (err: unknown) => void;
}

export interface ExplorerIndex {
  indexer: ExplorerIndexer;
  queries: ExplorerQueries;
  /** One poll: a reorg check, then at most `maxRange` confirmed blocks. */
  poll(): Promise<PollResult | undefined>;
  /** Polls until `stop()`; resolves at once (the loop runs in the background). */
  start(): void;
  /** Ends the loop (waiting for the running poll) and closes the database. */
  stop(): Promise<void>;
  /** The last block indexed (the deployment block - 1 before the first poll). */
  indexedBlock(): number;
}

/** Opens (or resumes) the explorer's index of `deployment` in `dbFile`. */
export function createExplorerIndex(options: ExplorerIndexOptions): ExplorerIndex {
  if (options.dbFile === ":memory:") throw new Error("dbFile must be a file: the cursor store and the index share it");
  const confirmations = options.confirmations ?? 2;
  const maxRange = options.maxRange ?? 1_000;
  const pollMs = options.pollMs ?? 2_000;
  const onError = options.onError ?? ((err: unknown) => console.error(JSON.stringify({ at: "ExplorerIndex.poll", err: String(err) })));
  const db = openExplorerDb(options.dbFile);
  const cursors = new CursorStore(options.dbFile, EXPLORER_SCOPE);
  const indexer = new ExplorerIndexer(db, options.provider, options.deployment);
  const queries = new ExplorerQueries(db, options.deployment.contracts);
  const poller = new LogPoller(options.provider, cursors, indexer, {
    addresses: indexer.addresses(),
    confirmations,
    maxRange,
    startBlock: options.deployment.deploymentBlock,
  });
  let running: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let closed = false;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const loop = async () => {
    let failures = 0;
    while (!stopping) {
      try {
        const result = await poller.poll();
        failures = 0;
        // Catching up: a full range means more blocks are waiting.
        if (result && result.to - result.from + 1 >= maxRange) continue;
        await sleep(pollMs);
      } catch (err) {
        failures++;
        onError(err);
        await sleep(Math.min(pollMs * 2 ** Math.min(failures, 5), 60_000));
      }
    }
  };

  return {
    indexer,
    queries,
    poll: () => poller.poll(),
    start() {
      if (running || closed) return;
      stopping = false;
      running = loop();
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      running = undefined;
      if (!closed) {
        closed = true;
        db.close();
        cursors.close();
      }
    },
    indexedBlock: () => cursors.cursor()?.block ?? options.deployment.deploymentBlock - 1,
  };
}
