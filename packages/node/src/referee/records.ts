/**
 * The channel records' tree (docs/REFEREE.md, "Channel records"): one record of 16 bytes per output
 * column or channel of a QLinearMatMul or QLinearConv (bias, scale bits, weight zero point), in a
 * binary keccak256 tree that OpenZeppelin's MerkleProof verifies on-chain (pairs hashed in sorted
 * order). A one-step reads one record: sending its 16 bytes and about log2(N) siblings costs a few
 * hundred bytes of calldata, where a 1 KiB trace leaf would cost a whole KiB.
 *
 * Leaf i = keccak256(uint256 i || record i) (48 bytes). An inner node hashes exactly 64 bytes, so
 * no inner node can pass for a leaf or a leaf for an inner node; the index in the leaf stops a
 * record from being proven at another channel. A level of odd width carries its last node up
 * unpaired, so a proof simply has no sibling at that level.
 */
import { concat, keccak256, toBeHex, zeroPadValue } from "ethers";
import { encodeChannelRecords, type ChannelRecord } from "./commit";

export const RECORD_BYTES = 16;

/** keccak256 of a pair in sorted order (OpenZeppelin's Hashes.commutativeKeccak256). */
function pair(a: string, b: string): string {
  return BigInt(a) < BigInt(b) ? keccak256(concat([a, b])) : keccak256(concat([b, a]));
}

/** The leaf of record `record` (16 bytes) at channel `channel`. */
export function recordLeaf(channel: number, record: Uint8Array): string {
  if (record.length !== RECORD_BYTES) throw new RangeError(`recordLeaf: a record is ${RECORD_BYTES} bytes, got ${record.length}`);
  return keccak256(concat([zeroPadValue(toBeHex(channel), 32), record]));
}

/** The records of one step and their tree, every level kept for proofs. */
export class RecordTree {
  readonly root: string;
  readonly count: number;
  private readonly bytes: Uint8Array;
  private readonly levels: readonly string[][];

  private constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.count = bytes.length / RECORD_BYTES;
    if (!Number.isInteger(this.count) || this.count < 1) throw new RangeError(`RecordTree: ${bytes.length} bytes are not one or more ${RECORD_BYTES}-byte records`);
    const levels: string[][] = [Array.from({ length: this.count }, (_, i) => recordLeaf(i, this.record(i)))];
    while (levels[levels.length - 1].length > 1) {
      const below = levels[levels.length - 1];
      const up: string[] = [];
      for (let i = 0; i < below.length; i += 2) up.push(i + 1 < below.length ? pair(below[i], below[i + 1]) : below[i]);
      levels.push(up);
    }
    this.levels = levels;
    this.root = levels[levels.length - 1][0];
  }

  static fromRecords(records: readonly ChannelRecord[]): RecordTree {
    return new RecordTree(encodeChannelRecords(records));
  }

  /** Record `i`'s 16 bytes. */
  record(i: number): Uint8Array {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.count) throw new RangeError(`record: ${i} is outside [0, ${this.count})`);
    return this.bytes.slice(i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
  }

  /** The siblings that prove record `i`, bottom up (MerkleProof.processProof's order). */
  proof(i: number): string[] {
    this.record(i);
    const out: string[] = [];
    let at = i;
    for (const level of this.levels.slice(0, -1)) {
      const sibling = at ^ 1;
      if (sibling < level.length) out.push(level[sibling]);
      at >>= 1;
    }
    return out;
  }
}
