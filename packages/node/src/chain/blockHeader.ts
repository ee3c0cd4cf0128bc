/**
 * The RLP encoding of a block header, rebuilt from the block `eth_getBlockByNumber` returns, so that
 * keccak256 of it is the block's hash. PrevrandaoHeaderRandomness.prove takes it to read the
 * block's prevrandao (mixHash, field 13) on chain.
 */
import { encodeRlp, getBytes, hexlify, keccak256, toBeArray } from "ethers";

/** The header fields of a JSON-RPC block, as hex strings. Fields a hardfork added are optional. */
export interface RpcBlockHeader {
  hash?: string;
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  number: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  /** London (EIP-1559). */
  baseFeePerGas?: string;
  /** Shanghai (EIP-4895). */
  withdrawalsRoot?: string;
  /** Cancun (EIP-4844). */
  blobGasUsed?: string;
  /** Cancun (EIP-4844). */
  excessBlobGas?: string;
  /** Cancun (EIP-4788). */
  parentBeaconBlockRoot?: string;
  /** Prague (EIP-7685). */
  requestsHash?: string;
}

/** The optional fields in header order, with whether each is a number (or raw bytes). */
const FORK_FIELDS: ReadonlyArray<readonly [keyof RpcBlockHeader, boolean]> = [
  ["baseFeePerGas", true],
  ["withdrawalsRoot", false],
  ["blobGasUsed", true],
  ["excessBlobGas", true],
  ["parentBeaconBlockRoot", false],
  ["requestsHash", false],
];

/** A quantity as RLP wants it: minimal big-endian bytes, zero as the empty string. */
function quantity(hex: string): string {
  const value = BigInt(hex);
  return value === 0n ? "0x" : hexlify(toBeArray(value));
}

/** Raw bytes, checked to be hex. */
function data(hex: string): string {
  return hexlify(getBytes(hex));
}

/**
 * The RLP-encoded header of `block`. Throws if a later hardfork's field is present while an
 * earlier one is missing (no real header looks like that, so the hash could not match).
 */
export function encodeBlockHeader(block: RpcBlockHeader): string {
  const fields: string[] = [
    data(block.parentHash),
    data(block.sha3Uncles),
    data(block.miner),
    data(block.stateRoot),
    data(block.transactionsRoot),
    data(block.receiptsRoot),
    data(block.logsBloom),
    quantity(block.difficulty),
    quantity(block.number),
    quantity(block.gasLimit),
    quantity(block.gasUsed),
    quantity(block.timestamp),
    data(block.extraData),
    data(block.mixHash),
    data(block.nonce),
  ];
  let missing: string | undefined;
  for (const [name, isNumber] of FORK_FIELDS) {
    const value = block[name];
    if (value === undefined) {
      missing ??= name;
      continue;
    }
    if (missing !== undefined) throw new Error(`block header has ${name} but not the earlier field ${missing}`);
    fields.push(isNumber ? quantity(value) : data(value));
  }
  return encodeRlp(fields);
}

/** keccak256 of the encoded header: equals `block.hash` when the encoding is right. */
export function blockHeaderHash(block: RpcBlockHeader): string {
  return keccak256(encodeBlockHeader(block));
}
