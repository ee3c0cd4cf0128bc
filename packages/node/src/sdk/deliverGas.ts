/**
 * The gas limit of a `JobRegistry.deliver` transaction, computed from the job's callback gas cap
 * and the output's size instead of estimated.
 *
 * Why not estimate: deliver reverts (InsufficientGasForCallback) unless the callback's whole cap,
 * 1/63 more (EIP-150 forwards at most 63/64 of what is left) and a reserve are left when it calls
 * out, however little the callback then uses; the gas a deliver needs is far above the gas it uses.
 * A node's eth_estimateGas must then search above the gas used. Hardhat's node (EDR, hardfork
 * Osaka) tries a limit above the 2^24 gas a transaction may have since EIP-7825 and answers
 * "transaction gas limit (30187095) is greater than the cap (16777216)" for a deliver whose callback
 * cap is 300k gas (8k is found); ethers turns that answer, which carries no revert data, into
 * CALL_EXCEPTION "missing revert data". The gas needed is known closely enough without asking.
 *
 * Browser-safe: no imports at all.
 */

/** contracts/JobRegistry.sol `CALLBACK_GAS_UNIT`: a job keeps its callback gas cap in units of this much gas, rounded up. */
export const CALLBACK_GAS_UNIT = 8192;
/** contracts/libraries/JobSettlement.sol `CALLBACK_RESERVE`: the gas deliver needs beyond the callback's cap (and its 1/63) when it calls out. */
export const CALLBACK_RESERVE = 20_000;

/** What the hub does around the callback, with a small output: reading the job, the library call, the event (about 45k measured; twice that). */
const DELIVER_BASE_GAS = 50_000;
/** Reading an inline output back from the hub's storage, per 32-byte word (a cold SLOAD is 2,100). */
const STORED_WORD_GAS = 2_400;
/** Hashing and copying an output the caller brings, per 32-byte word. */
const BROUGHT_WORD_GAS = 30;
/** The overhead's share added as margin: 20%. */
const MARGIN_PERCENT = 120n;

export interface DeliverGasInput {
  /** The job's `callbackGasUnits` (JobRegistry.jobOf). */
  callbackGasUnits: number | bigint;
  /** The deliver transaction's calldata (its selector, the job id and the output brought). */
  calldata: Uint8Array;
  /** The size of the inline output deliver reads from the hub's storage; 0 when the caller brings the output. */
  storedOutputBytes: number;
  /** The size of the output the caller brings in the calldata. */
  broughtOutputBytes: number;
}

/**
 * The gas limit of a deliver transaction: the gas the callback must find left (its cap, 64/63 of
 * it and the reserve, through the hub's call into JobSettlement, which keeps 1/64 back), plus the
 * hub's own work with a margin, and never below the calldata floor of EIP-7623 (10 gas per token:
 * a zero byte is one token, any other byte four), which large outputs reach. Unused gas is not
 * charged, so the margin costs only the balance it must cover.
 */
export function deliverGasLimit(input: DeliverGasInput): bigint {
  const cap = BigInt(input.callbackGasUnits) * BigInt(CALLBACK_GAS_UNIT);
  // JobSettlement.deliver requires (cap * 64) / 63 + CALLBACK_RESERVE left, and gets 63/64 of the hub's gas.
  const atCheck = (cap * 64n) / 63n + BigInt(CALLBACK_RESERVE);
  const forCallback = ceilDiv(atCheck * 64n, 63n);
  let zeros = 0;
  for (const byte of input.calldata) if (byte === 0) zeros++;
  const nonZeros = input.calldata.length - zeros;
  const calldataGas = 21_000 + 4 * zeros + 16 * nonZeros;
  const storedWords = Math.ceil(input.storedOutputBytes / 32);
  const broughtWords = Math.ceil(input.broughtOutputBytes / 32);
  // The output is in memory up to three times: copied, hashed (when brought) and encoded for the callback.
  const memoryWords = 3 * Math.max(storedWords, broughtWords) + 64;
  const memoryGas = 3 * memoryWords + Math.floor((memoryWords * memoryWords) / 512);
  const overhead = BigInt(calldataGas + DELIVER_BASE_GAS + STORED_WORD_GAS * storedWords + BROUGHT_WORD_GAS * broughtWords + memoryGas);
  const execution = forCallback + ceilDiv(overhead * MARGIN_PERCENT, 100n);
  const floor = BigInt(21_000 + 10 * (zeros + 4 * nonZeros));
  return execution > floor ? execution : floor;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
