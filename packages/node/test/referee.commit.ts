/**
 * The referee's commitments (src/referee/commit.ts) against docs/REFEREE.md: layouts checked on
 * small hand-worked examples, tree shapes against a slow reference written from the spec's level
 * definition, range proofs round-tripped for every range of a 40-leaf tree, and the verifier's
 * refusal of every tampering a dishonest party could try.
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import fc from "fast-check";
import {
  activationIndex,
  activationRowMajor,
  ARITY,
  columnLeafStride,
  depthFor,
  elementSize,
  encodeActivation,
  encodeChannelRecords,
  encodeConvFilters,
  encodeMatrixColumns,
  filterLeafStride,
  LEAF_BYTES,
  leafHash,
  MerkleTree,
  nodeHash,
  traceRoot,
  verifyRange,
} from "../src/referee/commit";

/** Pinned so that a failure reproduces. */
const RUNS = { seed: 1515, numRuns: 40 } as const;

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString("hex")}`;
const sha = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash("sha256");
  parts.forEach((p) => h.update(p));
  return h.digest();
};
const ZERO32 = new Uint8Array(32);
/** `n` bytes of a fixed pseudo-random pattern. */
const pattern = (n: number, salt = 7): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + (i >> 8)) & 0xff);

/** The root from the spec's words alone: pad, hash every leaf, then hash levels of 16 (zero children past the width). */
function referenceRoot(bytes: Uint8Array): string {
  const count = Math.max(1, Math.ceil(bytes.length / 1024));
  const padded = new Uint8Array(count * 1024);
  padded.set(bytes);
  let level: Uint8Array[] = [];
  for (let i = 0; i < count; i++) level.push(sha(Uint8Array.of(0), padded.subarray(i * 1024, (i + 1) * 1024)));
  let depth = 0;
  while (16 ** depth < count) depth++;
  for (let l = 0; l < depth; l++) {
    const next: Uint8Array[] = [];
    for (let p = 0; p < Math.ceil(level.length / 16); p++) {
      const children = Array.from({ length: 16 }, (_, j) => level[16 * p + j] ?? ZERO32);
      next.push(sha(Uint8Array.of(1), ...children));
    }
    level = next;
  }
  return hex(level[0]);
}

describe("referee commit: element bytes", function () {
  it("sizes: uint8 and int8 take 1 byte, int32 4", function () {
    expect([elementSize("uint8"), elementSize("int8"), elementSize("int32")]).to.deep.equal([1, 1, 4]);
  });

  it("int32 is big-endian two's complement, int8 two's complement, uint8 the value", function () {
    expect(hex(encodeActivation("int32", [5], [1, -1, -(2 ** 31), 2 ** 31 - 1, 0x01020304]))).to.equal(
      "0x" + "00000001" + "ffffffff" + "80000000" + "7fffffff" + "01020304",
    );
    expect(hex(encodeActivation("int32", [1], [-2]))).to.equal("0xfffffffe");
    expect(hex(encodeActivation("int8", [4], [0, 127, -128, -1]))).to.equal("0x007f80ff");
    expect(hex(encodeActivation("uint8", [3], [0, 128, 255]))).to.equal("0x0080ff");
  });

  it("refuses values outside the dtype, non-integers and wrong lengths with a RangeError", function () {
    expect(() => encodeActivation("int8", [1], [128])).to.throw(RangeError, /128 is not a int8/);
    expect(() => encodeActivation("int8", [1], [-129])).to.throw(RangeError, /not a int8/);
    expect(() => encodeActivation("uint8", [1], [-1])).to.throw(RangeError, /not a uint8/);
    expect(() => encodeActivation("uint8", [1], [256])).to.throw(RangeError, /not a uint8/);
    expect(() => encodeActivation("uint8", [1], [1.5])).to.throw(RangeError, /not a uint8/);
    expect(() => encodeActivation("int32", [1], [2 ** 31])).to.throw(RangeError, /not a int32/);
    expect(() => encodeActivation("int32", [1], [-(2 ** 31) - 1])).to.throw(RangeError, /not a int32/);
    expect(() => encodeActivation("uint8", [2, 2], [1, 2, 3])).to.throw(RangeError, /3 values given, the shape holds 4/);
    expect(() => encodeActivation("uint8", [2, -1], [])).to.throw(RangeError, /dimension -1/);
    expect(() => encodeMatrixColumns("int8", 2, 2, [1, 2, 3])).to.throw(RangeError, /3 values given/);
    expect(() => encodeMatrixColumns("int8", 0, 2, [])).to.throw(RangeError, /K is 0/);
    expect(() => encodeConvFilters("int8", [1, 1, 1], [1])).to.throw(RangeError, /not \[M, C, kh, kw\]/);
    expect(() => encodeConvFilters("int8", [1, 1, 1, 2], [1])).to.throw(RangeError, /1 values given/);
    expect(() => encodeConvFilters("int8", [1, 1, 1, 1], [200])).to.throw(RangeError, /W\[0, 0, 0, 0\]: 200 is not a int8/);
  });
});

describe("referee commit: tensor layout", function () {
  it("a rank-4 [1, 2, 2, 3] int8 activation (NCHW data) is committed in (n, h, w, c) order", function () {
    // x[c][h][w]: channel 0 holds 0..5, channel 1 holds -1..-6 (row-major NCHW).
    const data = [0, 1, 2, 3, 4, 5, -1, -2, -3, -4, -5, -6];
    const bytes = encodeActivation("int8", [1, 2, 2, 3], data);
    // (h, w) = (0,0) (0,1) (0,2) (1,0) (1,1) (1,2), each as (c0, c1).
    expect(hex(bytes)).to.equal("0x" + "00ff" + "01fe" + "02fd" + "03fc" + "04fb" + "05fa");
    // x[0][1][0][2] (row-major 6 + 2 = 8) is committed element (h=0, w=2, c=1) = 2 * 2 + 1 = 5.
    expect(activationIndex([1, 2, 2, 3], 8)).to.equal(5);
    expect(activationRowMajor([1, 2, 2, 3], 5)).to.equal(8);
  });

  it("a rank-4 batch: n is outermost, and the index maps are inverse bijections", function () {
    const shape = [2, 3, 2, 2];
    const seen = new Set<number>();
    for (let i = 0; i < 24; i++) {
      const at = activationIndex(shape, i);
      seen.add(at);
      expect(activationRowMajor(shape, at)).to.equal(i);
    }
    expect(seen.size).to.equal(24);
    expect(activationIndex(shape, 12)).to.equal(12); // x[1][0][0][0] is the first element of batch 1
    expect(activationIndex(shape, 4)).to.equal(1); // x[0][1][0][0] follows x[0][0][0][0]
  });

  it("other ranks are row-major: the index maps are the identity", function () {
    expect(hex(encodeActivation("uint8", [2, 3], [1, 2, 3, 4, 5, 6]))).to.equal("0x010203040506");
    expect(activationIndex([2, 3], 4)).to.equal(4);
    expect(activationRowMajor([2, 3, 1], 5)).to.equal(5);
    expect(() => activationIndex([2, 3], 6)).to.throw(RangeError, /outside \[0, 6\)/);
    expect(() => activationRowMajor([1, 2, 2, 3], -1)).to.throw(RangeError);
  });

  it("a [K=3, N=2] int8 matrix is column-major, each column padded to a whole leaf", function () {
    // B = [[1, 2], [3, 4], [5, -6]] row-major.
    const bytes = encodeMatrixColumns("int8", 3, 2, [1, 2, 3, 4, 5, -6]);
    expect(bytes.length).to.equal(2048);
    expect(columnLeafStride("int8", 3)).to.equal(1);
    expect(hex(bytes.subarray(0, 4))).to.equal("0x01030500");
    expect(hex(bytes.subarray(1024, 1028))).to.equal("0x0204fa00");
    expect(bytes.subarray(3, 1024).every((b) => b === 0)).to.equal(true);
    expect(bytes.subarray(1027).every((b) => b === 0)).to.equal(true);
  });

  it("a column longer than a leaf takes ceil(K * size / 1024) leaves", function () {
    expect(columnLeafStride("int32", 300)).to.equal(2); // 1,200 bytes
    expect(columnLeafStride("uint8", 1024)).to.equal(1);
    expect(columnLeafStride("uint8", 1025)).to.equal(2);
    const k = 300;
    const data = Array.from({ length: k * 2 }, (_, i) => i - 300);
    const bytes = encodeMatrixColumns("int32", k, 2, data);
    expect(bytes.length).to.equal(2 * 2 * 1024);
    // Column 1 starts at leaf 2 with B[0, 1] = data[1] = -299, then B[1, 1] = data[3] = -297.
    expect(hex(bytes.subarray(2048, 2056))).to.equal("0xfffffed5fffffed7");
    // Column 0's last element B[299, 0] = data[598] = 298 ends at byte 1,200; the rest of leaf 1 is zero.
    expect(hex(bytes.subarray(1196, 1200))).to.equal("0x0000012a");
    expect(bytes.subarray(1200, 2048).every((b) => b === 0)).to.equal(true);
  });

  it("a conv weight [M=2, C=2, 2, 2] is filter-major, (i, j, c) inside a filter, each filter leaf-aligned", function () {
    // W[m, c, i, j] = m*8 + c*4 + i*2 + j: its row-major index.
    const bytes = encodeConvFilters("uint8", [2, 2, 2, 2], Array.from({ length: 16 }, (_, i) => i));
    expect(filterLeafStride("uint8", [2, 2, 2, 2])).to.equal(1);
    expect(bytes.length).to.equal(2048);
    // (i, j) = (0,0) (0,1) (1,0) (1,1), each as (c0, c1).
    expect(hex(bytes.subarray(0, 8))).to.equal("0x0004010502060307");
    expect(hex(bytes.subarray(1024, 1032))).to.equal("0x080c090d0a0e0b0f");
    expect(bytes.subarray(8, 1024).every((b) => b === 0)).to.equal(true);
    // 64 channels of 3x3 int32: 2,304 bytes, 3 leaves a filter.
    expect(filterLeafStride("int32", [8, 64, 3, 3])).to.equal(3);
  });

  it("channel records are 16 bytes: bias, scaleBits, weightZeroPoint (big-endian), four zero bytes", function () {
    const bytes = encodeChannelRecords([
      { bias: -2, scaleBits: 0x3f800000, weightZeroPoint: 128 },
      { bias: 2 ** 31 - 1, scaleBits: 0xffffffff, weightZeroPoint: -1 },
    ]);
    expect(hex(bytes)).to.equal("0x" + "fffffffe3f8000000000008000000000" + "7fffffffffffffffffffffff00000000");
    expect(() => encodeChannelRecords([{ bias: 2 ** 31, scaleBits: 1, weightZeroPoint: 0 }])).to.throw(RangeError, /bias/);
    expect(() => encodeChannelRecords([{ bias: 0, scaleBits: 2 ** 32, weightZeroPoint: 0 }])).to.throw(RangeError, /scaleBits/);
    expect(() => encodeChannelRecords([{ bias: 0, scaleBits: -1, weightZeroPoint: 0 }])).to.throw(RangeError, /scaleBits/);
    expect(encodeChannelRecords(Array.from({ length: 64 }, () => ({ bias: 0, scaleBits: 1, weightZeroPoint: 0 }))).length).to.equal(1024);
  });
});

describe("referee commit: trees", function () {
  it("hashes a leaf as sha256(0x00 || leaf) and a node as sha256(0x01 || 16 children); refuses other sizes", function () {
    const leaf = pattern(1024);
    expect(hex(leafHash(leaf))).to.equal(hex(sha(Uint8Array.of(0), leaf)));
    const children = Array.from({ length: 16 }, (_, i) => sha(Uint8Array.of(i)));
    expect(hex(nodeHash(children))).to.equal(hex(sha(Uint8Array.of(1), ...children)));
    expect(() => leafHash(new Uint8Array(1023))).to.throw(RangeError, /1024 bytes/);
    expect(() => nodeHash(children.slice(1))).to.throw(RangeError, /16 children/);
    expect(() => nodeHash([...children.slice(1), new Uint8Array(31)])).to.throw(RangeError, /31 bytes/);
  });

  it("one leaf: depth 0, the root is its (zero-padded) leaf hash; empty bytes are one zero leaf", function () {
    const t = MerkleTree.fromBytes(Uint8Array.of(1, 2, 3));
    expect([t.depth, t.leafCount]).to.deep.equal([0, 1]);
    const padded = new Uint8Array(1024);
    padded.set([1, 2, 3]);
    expect(t.root).to.equal(hex(leafHash(padded)));
    expect(Buffer.from(t.leaf(0)).equals(Buffer.from(padded))).to.equal(true);
    const empty = MerkleTree.fromBytes(new Uint8Array(0));
    expect([empty.depth, empty.leafCount, empty.root]).to.deep.equal([0, 1, hex(leafHash(new Uint8Array(1024)))]);
  });

  it("16 leaves: depth 1, the root is the node of the 16 leaf hashes", function () {
    const bytes = pattern(16 * 1024);
    const t = MerkleTree.fromBytes(bytes);
    expect([t.depth, t.leafCount]).to.deep.equal([1, 16]);
    const hashes = Array.from({ length: 16 }, (_, i) => leafHash(bytes.subarray(i * 1024, (i + 1) * 1024)));
    expect(t.root).to.equal(hex(nodeHash(hashes)));
  });

  it("17 leaves: depth 2, with zero children past each level's width", function () {
    const bytes = pattern(16 * 1024 + 5);
    const t = MerkleTree.fromBytes(bytes);
    expect([t.depth, t.leafCount]).to.deep.equal([2, 17]);
    const hashes = Array.from({ length: 17 }, (_, i) => leafHash(t.leaf(i)));
    const n0 = nodeHash(hashes.slice(0, 16));
    const n1 = nodeHash([hashes[16], ...Array<Uint8Array>(15).fill(ZERO32)]);
    expect(t.root).to.equal(hex(nodeHash([n0, n1, ...Array<Uint8Array>(14).fill(ZERO32)])));
    expect(() => t.leaf(17)).to.throw(RangeError, /outside \[0, 17\)/);
  });

  it("depthFor: the least d with 16^d >= max(1, ceil(bytes / 1024))", function () {
    const cases: [number, number][] = [
      [0, 0],
      [1, 0],
      [1024, 0],
      [1025, 1],
      [16 * 1024, 1],
      [16 * 1024 + 1, 2],
      [256 * 1024, 2],
      [256 * 1024 + 1, 3],
      [3_000_000, 3],
      [4096 * 1024, 3],
      [4096 * 1024 + 1, 4],
    ];
    for (const [bytes, d] of cases) expect(depthFor(bytes), `${bytes} bytes`).to.equal(d);
    expect(() => depthFor(-1)).to.throw(RangeError);
  });

  it("matches a reference built from the spec's words, for random sizes (fast-check)", function () {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 * 1024 }), fc.integer({ min: 0, max: 255 }), (n, salt) => {
        const bytes = pattern(n, salt);
        const t = MerkleTree.fromBytes(bytes);
        expect(t.root, `${n} bytes`).to.equal(referenceRoot(bytes));
        expect(t.depth).to.equal(depthFor(n));
      }),
      { ...RUNS, numRuns: 25 },
    );
  });

  it("builds a 3 MB weight tensor's tree (2,930 leaves) quickly", function () {
    const bytes = pattern(3_000_000);
    const start = process.hrtime.bigint();
    const t = MerkleTree.fromBytes(bytes);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(`      MerkleTree.fromBytes(3,000,000 bytes): ${ms.toFixed(1)} ms, depth ${t.depth}, ${t.leafCount} leaves`);
    expect(t.leafCount).to.equal(2930);
    expect(ms).to.be.below(1000); // generous: a loaded CI machine; about 20 ms on a quiet one
  });

  it("the trace root is sha256(0x02 || roots)", function () {
    const roots = [0, 1, 2].map((i) => hex(sha(Uint8Array.of(i))));
    const concat = Buffer.concat(roots.map((r) => Buffer.from(r.slice(2), "hex")));
    expect(traceRoot(roots)).to.equal(hex(sha(Uint8Array.of(2), concat)));
    expect(() => traceRoot(["0x1234"])).to.throw(RangeError, /not a 0x-prefixed 32-byte hash/);
  });
});

describe("referee commit: range proofs", function () {
  /** 40 leaves (depth 2), the last one partial. */
  const bytes = pattern(39 * 1024 + 100, 3);
  const tree = MerkleTree.fromBytes(bytes);

  it("round-trips every range of a 40-leaf tree, with siblings in the spec's order", function () {
    expect([tree.leafCount, tree.depth]).to.deep.equal([40, 2]);
    let ranges = 0;
    for (let first = 0; first < 40; first++)
      for (let count = 1; first + count <= 40; count++) {
        const { leaves, siblings } = tree.rangeProof(first, count);
        expect(leaves.length).to.equal(count * LEAF_BYTES);
        expect(verifyRange(tree.root, 2, first, leaves, siblings), `${first} + ${count}`).to.equal(true);
        ranges++;
      }
    expect(ranges).to.equal(820);
  });

  it("gives the siblings bottom up, left to right, with zeros past a level's width", function () {
    // Leaves 15..16 of 40: level 0 parents 0 and 1 need children 0..14 and 17..31; level 1 the
    // parent 0 needs children 2..15 (2 is a node, 3..15 lie past level 1's width of 3).
    const { siblings } = tree.rangeProof(15, 2);
    const h = (i: number) => hex(leafHash(tree.leaf(i)));
    const z = hex(ZERO32);
    const level0 = [...Array.from({ length: 15 }, (_, i) => h(i)), ...Array.from({ length: 15 }, (_, i) => h(17 + i))];
    const n2 = hex(nodeHash([...Array.from({ length: 8 }, (_, i) => leafHash(tree.leaf(32 + i))), ...Array<Uint8Array>(8).fill(ZERO32)]));
    expect(siblings).to.deep.equal([...level0, n2, ...Array<string>(13).fill(z)]);
  });

  it("round-trips random ranges of random trees up to depth 3 (fast-check)", function () {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 600 * 1024 }), fc.nat(), fc.integer({ min: 1, max: 64 }), (n, at, want) => {
        const t = MerkleTree.fromBytes(pattern(n, n & 0xff));
        const first = at % t.leafCount;
        const count = Math.min(want, t.leafCount - first);
        const { leaves, siblings } = t.rangeProof(first, count);
        expect(verifyRange(t.root, depthFor(n), first, leaves, siblings)).to.equal(true);
      }),
      { ...RUNS, numRuns: 15 },
    );
  });

  it("refuses ranges outside the data when asked to build them", function () {
    expect(() => tree.rangeProof(39, 2)).to.throw(RangeError, /not all within the 40 leaves/);
    expect(() => tree.rangeProof(0, 0)).to.throw(RangeError, /count 0/);
    expect(() => tree.rangeProof(-1, 1)).to.throw(RangeError);
  });

  describe("refuses every tampered proof", function () {
    const first = 14;
    const count = 3;
    const proof = tree.rangeProof(first, count);
    const ok = (root: string, depth: number, at: number, leaves: Uint8Array, siblings: readonly string[]) => verifyRange(root, depth, at, leaves, siblings);

    it("the honest proof passes", function () {
      expect(ok(tree.root, 2, first, proof.leaves, proof.siblings)).to.equal(true);
    });

    it("a tampered leaf byte (in each leaf, and in a padding byte)", function () {
      for (const at of [0, 1023, 1024 + 500, 2 * 1024 + 1023]) {
        const leaves = Uint8Array.from(proof.leaves);
        leaves[at] ^= 1;
        expect(ok(tree.root, 2, first, leaves, proof.siblings), `byte ${at}`).to.equal(false);
      }
      const last = tree.rangeProof(39, 1);
      const padded = Uint8Array.from(last.leaves);
      padded[1023] = 1; // past the tensor's last byte: the padding is committed as zeros
      expect(ok(tree.root, 2, 39, padded, last.siblings)).to.equal(false);
    });

    it("a wrong sibling, at every position", function () {
      for (let i = 0; i < proof.siblings.length; i++) {
        const siblings = [...proof.siblings];
        siblings[i] = `0x${(siblings[i].slice(2, 4) === "ff" ? "00" : "ff") + siblings[i].slice(4)}`;
        expect(ok(tree.root, 2, first, proof.leaves, siblings), `sibling ${i}`).to.equal(false);
      }
    });

    it("a shifted first, either way", function () {
      expect(ok(tree.root, 2, first + 1, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 2, first - 1, proof.leaves, proof.siblings)).to.equal(false);
    });

    it("a missing or an extra sibling (zero or a copy of the last)", function () {
      expect(ok(tree.root, 2, first, proof.leaves, proof.siblings.slice(0, -1))).to.equal(false);
      expect(ok(tree.root, 2, first, proof.leaves, proof.siblings.slice(1))).to.equal(false);
      expect(ok(tree.root, 2, first, proof.leaves, [...proof.siblings, hex(ZERO32)])).to.equal(false);
      expect(ok(tree.root, 2, first, proof.leaves, [...proof.siblings, proof.siblings[proof.siblings.length - 1]])).to.equal(false);
    });

    it("a proof of a position past the data (a zero child): a zero leaf at 40 or 255", function () {
      // An attacker opens leaf 40 as a zero leaf, with the honest hashes around it: the zero
      // child at position 40 has no preimage, so the leaf's hash cannot stand in for it.
      const z = hex(ZERO32);
      const h = (i: number) => hex(leafHash(tree.leaf(i)));
      const n = (p: number) =>
        hex(nodeHash(Array.from({ length: 16 }, (_, j) => (16 * p + j < 40 ? leafHash(tree.leaf(16 * p + j)) : ZERO32))));
      const siblings40 = [...Array.from({ length: 8 }, (_, j) => h(32 + j)), ...Array<string>(7).fill(z), n(0), n(1), ...Array<string>(13).fill(z)];
      expect(ok(tree.root, 2, 40, new Uint8Array(1024), siblings40)).to.equal(false);
      const siblings255 = [...Array<string>(15).fill(z), n(0), n(1), n(2), ...Array<string>(12).fill(z)];
      expect(ok(tree.root, 2, 255, new Uint8Array(1024), siblings255)).to.equal(false);
    });

    it("an honest proof replayed at first + 16^depth (the same offsets in every parent: an alias, not a leaf)", function () {
      expect(ok(tree.root, 2, first + 256, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 2, first + 4 * 256, proof.leaves, proof.siblings)).to.equal(false);
      const single = MerkleTree.fromBytes(pattern(10));
      expect(ok(single.root, 0, 1, single.leaf(0), [])).to.equal(false);
    });

    it("a range past 16^depth, a claimed shallower or deeper tree, and malformed input", function () {
      const last = tree.rangeProof(39, 1);
      expect(ok(tree.root, 2, 256, last.leaves, last.siblings)).to.equal(false);
      expect(ok(tree.root, 1, first, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 3, first, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 9, first, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 2, first, proof.leaves.subarray(0, 3 * 1024 - 1), proof.siblings)).to.equal(false);
      expect(ok(tree.root, 2, first, new Uint8Array(0), proof.siblings)).to.equal(false);
      expect(ok(tree.root.slice(0, -2), 2, first, proof.leaves, proof.siblings)).to.equal(false);
      expect(ok(tree.root, 2, first, proof.leaves, [...proof.siblings.slice(1), "0x12"])).to.equal(false);
    });

    it("more than 64 leaves, which the chain refuses, even when the proof is honest", function () {
      const big = MerkleTree.fromBytes(pattern(70 * 1024));
      const p64 = big.rangeProof(0, 64);
      expect(verifyRange(big.root, big.depth, 0, p64.leaves, p64.siblings)).to.equal(true);
      const p65 = big.rangeProof(0, 65);
      expect(verifyRange(big.root, big.depth, 0, p65.leaves, p65.siblings)).to.equal(false);
    });
  });
});

describe("referee commit: constants", function () {
  it("leaves of 1,024 bytes in a 16-ary tree", function () {
    expect([LEAF_BYTES, ARITY]).to.deep.equal([1024, 16]);
  });
});
