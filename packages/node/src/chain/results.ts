/**
 * A job's result as the chain holds it. The JobRegistry stores an inline NONE/OPTIMISTIC/ATTESTED
 * output; for a QUORUM job it keeps only the winning hash, and the bytes are in the QuorumManager's
 * ResultRevealed event of a member who revealed them (the chain checked them against the member's
 * commitment). A by-reference output is not fetched here: see store/outputs.ts.
 */
import { getBytes, keccak256 } from "ethers";
import type { JobRegistry, QuorumManager } from "../typechain";

export interface ChainResult {
  status: number;
  /** keccak256 of the output bytes (zero until a result exists). */
  outputHash: string;
  /** The output bytes, inline or from a reveal; empty for an output by reference (or none yet). */
  output: Uint8Array;
  /** Where a by-reference output can be fetched (empty otherwise). */
  outputURI: string;
}

/** Thrown when a QUORUM job's winning hash matches no reveal in the scanned blocks. */
export class RevealNotFoundError extends Error {
  constructor(jobId: bigint, outputHash: string, fromBlock: number) {
    super(`job ${jobId}: no ResultRevealed with hash ${outputHash} from block ${fromBlock} on; scan from an earlier block (the deployment block)`);
    this.name = "RevealNotFoundError";
  }
}

/**
 * Reads job `jobId`'s result. `fromBlock` bounds the event scan for QUORUM outputs (the deployment
 * block, or any block before the job's request).
 */
export async function readResult(jobs: JobRegistry, quorum: QuorumManager, jobId: bigint, fromBlock = 0): Promise<ChainResult> {
  const [status, outputHash, outputHex, outputURI] = await jobs.resultOf(jobId);
  const result: ChainResult = { status: Number(status), outputHash, output: getBytes(outputHex), outputURI };
  if (result.output.length > 0 || outputURI !== "" || /^0x0+$/.test(outputHash)) return result;
  const reveals = await quorum.queryFilter(quorum.filters.ResultRevealed(jobId), fromBlock);
  const match = reveals.find((r) => r.args.outputHash === outputHash);
  if (match === undefined) throw new RevealNotFoundError(jobId, outputHash, fromBlock);
  const bytes = getBytes(match.args.output);
  // The event is the chain's own, but check: a reader must never print bytes the job did not commit.
  if (keccak256(bytes) !== outputHash) throw new RevealNotFoundError(jobId, outputHash, fromBlock);
  return { ...result, output: bytes };
}
