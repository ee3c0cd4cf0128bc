/**
 * The explorer under the devnet load: how far its indexer stays behind the chain's head, in blocks,
 * and how long its API takes to answer a job's page (GET /api/jobs/:id, the page's one request),
 * sampled through the load from outside, as a visitor would see it.
 *
 * Every `intervalMs`: the head block (from the chain), then the explorer's indexed block (from
 * /api/summary), their difference one lag sample; then `pagesPerTick` job pages of jobs requested so
 * far, picked at random, each timed to its last byte. A page of a job the indexer has not reached
 * yet answers 404: counted apart, and timed all the same.
 */
import type { JsonRpcProvider } from "ethers";
import type { NetworkSummary } from "../../packages/node/src";
import { quantile, round } from "./common";

export interface ExplorerFigures {
  /** Head block minus the explorer's indexed block, sampled once per interval. */
  lagBlocks: { p50: number; p95: number; max: number; samples: number };
  /** Wall-clock milliseconds of GET /api/jobs/:id, to the last byte. */
  jobPageMs: { p50: number; p99: number; max: number; requests: number; notYetIndexed: number; failed: number };
}

export class ExplorerProbe {
  private readonly lags: number[] = [];
  private readonly pageMs: number[] = [];
  private notYetIndexed = 0;
  private failed = 0;
  private running: Promise<void> | undefined;
  private stopping = false;

  constructor(
    private readonly url: string,
    private readonly provider: JsonRpcProvider,
    /** The ids of the jobs requested so far. */
    private readonly jobIds: () => bigint[],
    private readonly intervalMs = 1000,
    private readonly pagesPerTick = 5,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<ExplorerFigures> {
    this.stopping = true;
    await this.running;
    const sortedLag = [...this.lags].sort((a, b) => a - b);
    const sortedMs = [...this.pageMs].sort((a, b) => a - b);
    return {
      lagBlocks: { p50: quantile(sortedLag, 0.5), p95: quantile(sortedLag, 0.95), max: sortedLag[sortedLag.length - 1] ?? Number.NaN, samples: sortedLag.length },
      jobPageMs: {
        p50: round(quantile(sortedMs, 0.5), 1),
        p99: round(quantile(sortedMs, 0.99), 1),
        max: round(sortedMs[sortedMs.length - 1] ?? Number.NaN, 1),
        requests: sortedMs.length,
        notYetIndexed: this.notYetIndexed,
        failed: this.failed,
      },
    };
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      const tick = Date.now();
      await this.sample().catch(() => this.failed++);
      await new Promise((r) => setTimeout(r, Math.max(0, this.intervalMs - (Date.now() - tick))));
    }
  }

  private async sample(): Promise<void> {
    const head = await this.provider.getBlockNumber();
    const summary = (await (await fetch(`${this.url}/api/summary`)).json()) as NetworkSummary;
    this.lags.push(Math.max(0, head - summary.indexedBlock));
    const ids = this.jobIds();
    if (ids.length === 0) return;
    for (let i = 0; i < this.pagesPerTick; i++) {
      const id = ids[Math.floor(Math.random() * ids.length)];
      const started = performance.now();
      const res = await fetch(`${this.url}/api/jobs/${id}`);
      await res.arrayBuffer();
      this.pageMs.push(performance.now() - started);
      if (res.status === 404) this.notYetIndexed++;
      else if (res.status !== 200) this.failed++;
    }
  }
}
