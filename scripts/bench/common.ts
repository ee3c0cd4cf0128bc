/**
 * What the bench's sections share: the run's size (full or --quick), the report's shape, and small
 * statistics helpers (percentiles, a least-squares slope per decade, a binomial confidence interval).
 */
import path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..");
export const REPORTS = path.join(ROOT, "reports");

/** `npm run bench -- --quick` (or BENCH_QUICK=1): the reduced run, under ten minutes on two cores (four of them the anvil load). */
export function isQuick(argv: string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return argv.includes("--quick") || env.BENCH_QUICK === "1";
}

/** Gas prices (gwei) at which a job's gas is priced in ETH. */
export const GAS_PRICES_GWEI = [1, 20];

export function ethAt(gas: number, gwei: number): number {
  return (gas * gwei) / 1e9;
}

/** The q-quantile (0..1) of `xs`, linear between order statistics; NaN when empty. */
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

export function mean(xs: number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}

/** Least-squares slope of y against log10(x): the change of y per tenfold x. */
export function slopePerDecade(points: { x: number; y: number }[]): number {
  const xs = points.map((p) => Math.log10(p.x));
  const mx = mean(xs);
  const my = mean(points.map((p) => p.y));
  let num = 0;
  let den = 0;
  points.forEach((p, i) => {
    num += (xs[i] - mx) * (p.y - my);
    den += (xs[i] - mx) ** 2;
  });
  return den === 0 ? 0 : num / den;
}

/** Wilson score interval of a binomial proportion at ~95% (z = 1.96). */
export function wilson(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (trials === 0) return { low: 0, high: 1 };
  const p = successes / trials;
  const z2 = z * z;
  const centre = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Seconds since `start` (a Date.now() value). */
export function secondsSince(start: number): number {
  return round((Date.now() - start) / 1000, 1);
}

/** A small seeded PRNG (mulberry32, shared with the ONNX fixtures): the simulation's draws are reproducible. */
export { seededRandom as prng } from "../../packages/testkit/src/fixtures";

export function log(line: string): void {
  console.log(`[bench] ${line}`);
}
