/**
 * A result as one transaction posted it, read from that transaction's receipt: an executor's
 * ResultSubmitted (NONE, OPTIMISTIC, ATTESTED) or a quorum member's ResultRevealed. Lets anyone
 * check a result that is no longer the job's current one (a result a committee rejected, say)
 * against the chain itself.
 *
 * Browser-safe: ethers and the typechain factories' ABIs.
 */
import { getBytes, Interface, type Provider } from "ethers";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { QuorumManager__factory } from "../typechain/factories/contracts/QuorumManager__factory";
import { GlassboxError } from "./errors";

const JOBS = new Interface(JobRegistry__factory.abi);
const QUORUM = new Interface(QuorumManager__factory.abi);

export interface PostedResult {
  executor: string;
  outputHash: string;
  /** The inline output bytes; empty when posted by reference (`outputURI`). */
  output: Uint8Array;
  outputURI: string;
  block: number;
}

/** The result of `jobId` posted or revealed by transaction `txHash`; GlassboxError NO_EVENT when it posted none. */
export async function postedResultIn(provider: Provider, addresses: { jobRegistry: string; quorumManager: string }, jobId: bigint, txHash: string): Promise<PostedResult> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(txHash)) throw new GlassboxError("BAD_ARGUMENT", `"${txHash}" is not a transaction hash (0x and 64 hex digits)`);
  const receipt = await provider.getTransactionReceipt(txHash);
  if (!receipt) throw new GlassboxError("NO_EVENT", `transaction ${txHash} is not mined on this chain: check the hash and the RPC endpoint`);
  for (const log of receipt.logs) {
    const address = log.address.toLowerCase();
    const iface = address === addresses.jobRegistry.toLowerCase() ? JOBS : address === addresses.quorumManager.toLowerCase() ? QUORUM : undefined;
    const parsed = iface?.parseLog(log);
    if (!parsed || (parsed.name !== "ResultSubmitted" && parsed.name !== "ResultRevealed") || (parsed.args.jobId as bigint) !== jobId) continue;
    const a = parsed.args;
    return {
      executor: a.executor as string,
      outputHash: a.outputHash as string,
      output: getBytes(a.output as string),
      outputURI: parsed.name === "ResultSubmitted" ? (a.outputURI as string) : "",
      block: receipt.blockNumber,
    };
  }
  throw new GlassboxError("NO_EVENT", `transaction ${txHash} posted no result of job ${jobId}: pass the hash of a ResultSubmitted or ResultRevealed transaction of that job`);
}
