/**
 * `npx hardhat run scripts/gas-snapshot-tree.ts`: the gas of SnapshotSumTree.set and drawAt next to
 * today's SumTree.set and search, in trees of 10 and 10,000 leaves, and prints a table.
 *
 * Each figure is the library call alone (gasleft() before and after, inside a transaction, so
 * every slot starts cold as in a real call; the 21,000 base and calldata are not included). The
 * trees are built in epoch 100 with appendMany; the measured leaf is leaf 1 (the longest Fenwick
 * path: 1, 2, 4, ...) and a middle leaf. `set` cases for SnapshotSumTree:
 *   firstInEpoch(next, fresh)   first change in epoch 101 after the build in 100: every cell on the
 *                               path was written in the epoch before, so slot B is written, from
 *                               zero (the first such write a cell ever has);
 *   firstInEpoch(next)          the same in epoch 102 after 101: slot B rewritten (steady state);
 *   secondInEpoch               another change in the same epoch: slot A only;
 *   firstInEpoch(after gap)     first change in epoch 110 after 102: slot A only.
 * GAS_SNAPSHOT_SIZES=10,1000 overrides the sizes.
 */
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { SnapshotSumTreeHarness__factory, SumTreeGasHarness__factory } from "../packages/node/src/typechain";
import type { SnapshotSumTreeHarness, SumTreeGasHarness } from "../packages/node/src/typechain";

const FIRST = 0x10000n; // address of leaf 1; leaf k is FIRST + k - 1
const BUILD_EPOCH = 100;
const WEIGHT = 10n ** 18n;

function leafAddress(k: number): string {
  return ethers.getAddress(ethers.toBeHex(FIRST + BigInt(k - 1), 20));
}

/** Fenwick nodes written by a change of leaf `k` in a tree of `n` leaves. */
function pathLength(k: number, n: number): number {
  let count = 0;
  for (let i = k; i <= n; i += i & -i) count++;
  return count;
}

async function meteredGas(harness: SnapshotSumTreeHarness | SumTreeGasHarness, tx: Promise<ContractTransactionResponse>): Promise<number> {
  const receipt = await (await tx).wait();
  for (const log of receipt!.logs) {
    const parsed = harness.interface.parseLog(log);
    if (parsed?.name === "GasUsed") return Number(parsed.args[0]);
  }
  throw new Error("no GasUsed event");
}

async function build(n: number) {
  const [deployer] = await ethers.getSigners();
  const snap = await new SnapshotSumTreeHarness__factory(deployer).deploy();
  const today = await new SumTreeGasHarness__factory(deployer).deploy();
  const batch = 120; // ~95k gas per append: under the 2^24 per-transaction cap
  for (let done = 0; done < n; done += batch) {
    const count = Math.min(batch, n - done);
    await (await snap.appendMany(FIRST + BigInt(done), count, WEIGHT, BUILD_EPOCH, { gasLimit: 16_000_000 })).wait();
    await (await today.appendMany(FIRST + BigInt(done), count, WEIGHT, { gasLimit: 16_000_000 })).wait();
  }
  return { snap, today };
}

async function measureSets(n: number) {
  const leaves = [...new Set([1, Math.max(1, Math.floor(n / 2) + 1)])];
  const rows: Array<Record<string, string | number>> = [];
  let trees = await build(n);
  for (const [i, k] of leaves.entries()) {
    // A fresh pair of trees per leaf, so that each leaf's path starts as built in epoch 100.
    if (i > 0) trees = await build(n);
    const { snap, today } = trees;
    const node = leafAddress(k);
    let w = WEIGHT;
    const next = () => (w += 1n);
    const row: Record<string, string | number> = { leaves: n, leaf: k, pathNodes: pathLength(k, n) };
    row["SumTree.set"] = await meteredGas(today, today.setMetered(node, next()));
    row["SumTree.set (again)"] = await meteredGas(today, today.setMetered(node, next()));
    row["first in epoch (next, fresh)"] = await meteredGas(snap, snap.setMetered(node, next(), BUILD_EPOCH + 1));
    row["second in epoch"] = await meteredGas(snap, snap.setMetered(node, next(), BUILD_EPOCH + 1));
    row["first in epoch (next)"] = await meteredGas(snap, snap.setMetered(node, next(), BUILD_EPOCH + 2));
    row["first in epoch (after gap)"] = await meteredGas(snap, snap.setMetered(node, next(), BUILD_EPOCH + 10));
    rows.push(row);
  }
  return { rows, trees };
}

/** drawAt at s = current and current - 1 (leaf 1 changed in both epochs, so s - 1 reads slot B on its path). */
async function measureDraws(n: number, snap: SnapshotSumTreeHarness, today: SumTreeGasHarness) {
  const epoch = Number(await snap.latestEpoch()) + 1;
  await (await snap.set(leafAddress(1), WEIGHT / 2n, epoch)).wait();
  await (await snap.set(leafAddress(1), WEIGHT / 3n, epoch + 1)).wait();
  const [, totalPrev] = await snap.totalAt(epoch);
  const [, totalCur] = await snap.totalAt(epoch + 1);
  const todayTotal = BigInt(n) * WEIGHT; // SumTree's leaves all weigh WEIGHT or a little more
  const limit = [totalPrev, totalCur, todayTotal].reduce((a, b) => (a < b ? a : b));
  const points = [0n, limit / 2n, limit - 1n];
  const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  const searches: number[] = [];
  const atCurrent: number[] = [];
  const atPrevious: number[] = [];
  for (const p of points) {
    searches.push(await meteredGas(today, today.searchMetered(p)));
    atCurrent.push(await meteredGas(snap, snap.drawAtMetered(epoch + 1, p)));
    atPrevious.push(await meteredGas(snap, snap.drawAtMetered(epoch, p)));
  }
  return {
    leaves: n,
    "SumTree.search (no exclusions)": avg(searches),
    "drawAt(s = current)": avg(atCurrent),
    "drawAt(s = current - 1)": avg(atPrevious),
    points: "mean over 0, total/2, total-1",
  };
}

async function main() {
  const sizes = (process.env.GAS_SNAPSHOT_SIZES ?? "10,10000").split(",").map(Number);
  const setRows = [];
  const drawRows = [];
  for (const n of sizes) {
    const { rows, trees } = await measureSets(n);
    setRows.push(...rows);
    drawRows.push(await measureDraws(n, trees.snap, trees.today));
    console.log(`  measured ${n} leaves`);
  }
  console.log("\nset: gas of the library call (SumTree = today's tree, the rest = SnapshotSumTree)");
  console.table(setRows);
  console.log("\ndraw: gas of one descent plus the leaf's node read");
  console.table(drawRows);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
