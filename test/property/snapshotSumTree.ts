/**
 * SnapshotSumTree against a model that keeps every write: random sequences of (advance the epoch
 * by 0..3, set a node's weight), after each of which, for s in {current - 2, current - 1, current},
 *   - totalAt(s), weightAt(node, s) for every node and drawAt(s, point) for 0, total - 1, both
 *     sides of every leaf boundary and random points are either ok and exactly the model's
 *     start-of-s answer (draws against a linear scan of start-of-s weights in leaf order), or
 *     not ok, and `ok` is exactly what the documented guarantee says: totalAt and drawAt are ok
 *     iff s >= (latest epoch the tree changed in) - 1, weightAt iff s >= (latest epoch that
 *     node's weight changed in) - 1;
 *   - s = current and s = current - 1 are always ok.
 * RUNS x ACTIONS defaults to 30 x 40 (SNAPSHOT_TREE_RUNS, SNAPSHOT_TREE_ACTIONS; PROPERTY_SEED).
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import { SnapshotSumTreeHarness__factory } from "../../packages/node/src/typechain";

const RUNS = Number(process.env.SNAPSHOT_TREE_RUNS ?? 30);
const ACTIONS = Number(process.env.SNAPSHOT_TREE_ACTIONS ?? 40);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261124);
/** Distinct node addresses; the last one is never set, so it never gets a leaf. */
const NODES = Array.from({ length: 17 }, (_, i) => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0x2000 + i), 20)));
const SET_NODES = NODES.length - 1;

async function deploySnapshotTreeFixture() {
  const [deployer] = await ethers.getSigners();
  const tree = await new SnapshotSumTreeHarness__factory(deployer).deploy();
  return { tree };
}

/** Every effective write, kept forever: the answer to any snapshot and to what the tree must still know. */
class HistoryModel {
  /** Nodes in the order they got a leaf, with their append epoch. */
  readonly leaves: Array<{ node: string; appended: number }> = [];
  /** Per node, its effective writes (epoch, new weight) in order. */
  readonly history = new Map<string, Array<{ epoch: number; weight: bigint }>>();
  /** The latest epoch in which anything changed (0 before any change). */
  treeLast = 0;

  live(node: string): bigint {
    const h = this.history.get(node);
    return h && h.length > 0 ? h[h.length - 1].weight : 0n;
  }

  set(node: string, weight: bigint, epoch: number) {
    if (this.live(node) === weight) return; // no change, no write (zero for a node without a leaf included)
    if (!this.history.has(node)) {
      this.history.set(node, []);
      this.leaves.push({ node, appended: epoch });
    }
    this.history.get(node)!.push({ epoch, weight });
    this.treeLast = epoch;
  }

  /** The weight after every write made in an epoch < s. */
  weightAt(node: string, s: number): bigint {
    let w = 0n;
    for (const h of this.history.get(node) ?? []) if (h.epoch < s) w = h.weight;
    return w;
  }

  /** Start-of-s weights in leaf order (leaves appended in epoch >= s weigh zero and come last). */
  weightsAt(s: number): Array<{ node: string; weight: bigint }> {
    return this.leaves.map((l) => ({ node: l.node, weight: this.weightAt(l.node, s) }));
  }

  totalAt(s: number): bigint {
    return this.weightsAt(s).reduce((sum, l) => sum + l.weight, 0n);
  }

  drawAt(s: number, point: bigint): string {
    let before = 0n;
    for (const l of this.weightsAt(s)) {
      if (point < before + l.weight) return l.node;
      before += l.weight;
    }
    throw new Error(`point ${point} is past the total ${before}`);
  }

  /** The guarantee, exactly: a cell answers s iff it was not written after epoch s + 1. */
  treeAnswers(s: number): boolean {
    return s >= this.treeLast - 1;
  }

  weightAnswers(node: string, s: number): boolean {
    const h = this.history.get(node);
    return !h || s >= h[h.length - 1].epoch - 1;
  }
}

const weightArb = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 1n, max: 20n }),
  fc.bigInt({ min: 1n, max: 2n ** 96n - 1n }), // weights are uint96 (stakes)
);
const actionArb = fc.record({
  advance: fc.integer({ min: 0, max: 3 }),
  node: fc.integer({ min: 0, max: SET_NODES - 1 }),
  weight: weightArb,
});
const scenarioArb = fc.record({
  start: fc.integer({ min: 0, max: 3 }),
  actions: fc.array(actionArb, { minLength: 1, maxLength: ACTIONS }),
  randomPoints: fc.array(fc.bigInt({ min: 0n, max: 2n ** 128n }), { minLength: 2, maxLength: 2 }),
});

describe("SnapshotSumTree (property)", function () {
  it("answers every snapshot it keeps exactly, keeps s = current and current - 1 always, and loses only what the guarantee allows", async function () {
    this.timeout(600_000);
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ start, actions, randomPoints }) => {
        const { tree } = await loadFixture(deploySnapshotTreeFixture);
        const model = new HistoryModel();
        let epoch = start;
        for (const [step, a] of actions.entries()) {
          epoch += a.advance;
          await tree.set(NODES[a.node], a.weight, epoch);
          model.set(NODES[a.node], a.weight, epoch);
          for (let s = Math.max(0, epoch - 2); s <= epoch; s++) {
            const at = `step ${step}, epoch ${epoch}, s ${s}`;
            const total = model.totalAt(s);
            // 0, total - 1, both sides of every leaf boundary, and random points.
            const probes = new Set<bigint>();
            if (total > 0n) {
              [0n, total - 1n, ...randomPoints.map((p) => p % total)].forEach((p) => probes.add(p));
              let before = 0n;
              for (const l of model.weightsAt(s)) {
                before += l.weight;
                if (l.weight !== 0n && before < total) [before - 1n, before].forEach((p) => probes.add(p));
              }
            }
            const points = [...probes];
            const got = await tree.inspect(s, NODES, points);

            const treeOk = model.treeAnswers(s);
            if (s >= epoch - 1) expect(treeOk, `${at}: the guarantee covers the tree`).to.equal(true);
            expect(got.totalOk, `${at}: totalAt ok`).to.equal(treeOk);
            expect(got.sum, `${at}: totalAt`).to.equal(treeOk ? total : 0n);
            for (const [i, node] of NODES.entries()) {
              const weightOk = model.weightAnswers(node, s);
              if (s >= epoch - 1) expect(weightOk, `${at}: the guarantee covers node ${i}`).to.equal(true);
              expect(got.weightOk[i], `${at}: weightAt(node ${i}) ok`).to.equal(weightOk);
              expect(got.weights[i], `${at}: weightAt(node ${i})`).to.equal(weightOk ? model.weightAt(node, s) : 0n);
            }
            for (const [i, p] of points.entries()) {
              expect(got.drawOk[i], `${at}: drawAt(${p}) ok`).to.equal(treeOk);
              expect(got.drawn[i], `${at}: drawAt(${p})`).to.equal(treeOk ? model.drawAt(s, p) : ethers.ZeroAddress);
            }
          }
        }
        expect(await tree.total()).to.equal(model.totalAt(Number.MAX_SAFE_INTEGER));
      }),
      { seed: SEED, numRuns: RUNS, verbose: 1 },
    );
  });
});
