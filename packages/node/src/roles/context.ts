/**
 * What every role shares: the contracts (typechain only), the node's key and sender, its durable
 * stores, a pino-compatible logger, its metrics, and `act`, the one way a role sends a transaction:
 *
 *   1. skip if the action's key was already claimed (the event was seen before);
 *   2. preflight with `staticCall`: a call the chain would refuse is logged and NOT claimed, so a
 *      later replay of the event may still try (nothing was sent);
 *   3. claim the key in the CursorStore, then send through the TxSender (counted as a pending
 *      transaction until it is mined or given up).
 *
 * A claim is settled with its transaction's hash once a receipt is in. A claim whose transaction
 * could not be sent is released and the failure rethrown, so the action is retried after the role
 * has looked at the chain again; a claim left unsettled by a crash is released when the node
 * starts (GlassboxNode.init). The contracts' own status checks make a retried action harmless:
 * a transaction is never sent for an action the chain already shows as taken.
 */
import type { ContractTransaction, Signer, TransactionReceipt } from "ethers";
import { trackPending, type NodeMetrics } from "../ops/metrics";
import type { NodeLogger } from "../ops/logger";
import type { CursorStore } from "../chain/cursorStore";
import type { TxSender } from "../chain/txSender";
import { uncoalescedText } from "../chain/transient";
import { decodeRevert } from "../sdk/protocol";
import type { DisputeManager, JobRegistry, ModelRegistry, QuorumManager } from "../typechain";
import type { PendingStore } from "./pendingStore";
import type { JobBook } from "./jobBook";

/** The protocol contracts, connected to the node's signer. */
export interface Contracts {
  jobs: JobRegistry;
  disputes: DisputeManager;
  quorum: QuorumManager;
  models: ModelRegistry;
}

export interface RoleContext {
  address: string;
  signer: Signer;
  contracts: Contracts;
  cursor: CursorStore;
  pending: PendingStore;
  book: JobBook;
  sender: TxSender;
  log: NodeLogger;
  /** What the roles count where it happens (`act` counts failed and reverted transactions); NoMetrics when not served. */
  metrics: NodeMetrics;
}

/** A typechain method: what `act` needs of `jobs.submitResult` and its kin. */
export interface SendableMethod<A extends unknown[]> {
  staticCall(...args: A): Promise<unknown>;
  populateTransaction(...args: A): Promise<ContractTransaction>;
}

export interface Action<A extends unknown[]> {
  /** Idempotency key, e.g. `submit:42:1`. */
  key: string;
  /** Block of the event that caused the action (recorded with the claim, for reorg rewinds). */
  block: number;
  /** Log location, e.g. `Executor.submit`. */
  at: string;
  /** Extra log fields (jobId, disputeId...). */
  fields: Record<string, unknown>;
  method: SendableMethod<A>;
  args: A;
  /**
   * For actions any node may take (an executor draw, a committee draw): true when another node's
   * transaction has already done what this one would. A send that fails or reverts while it holds
   * is a lost race, not an error: it is logged at info and reported as "refused".
   */
  doneByOthers?: () => Promise<boolean>;
}

export type ActOutcome = "sent" | "duplicate" | "refused" | "failed";

/** A claimed action's transaction could not be sent or seen through; its claim was released. */
export class ActionFailedError extends Error {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super(`action ${key} failed: ${errorText(cause)}`, { cause });
    this.name = "ActionFailedError";
  }
}

/**
 * Preflights, claims and sends one action. A refusal, a duplicate and a reverted transaction are
 * outcomes; a transaction that could not be sent throws ActionFailedError after releasing the claim.
 */
export async function act<A extends unknown[]>(ctx: RoleContext, action: Action<A>): Promise<ActOutcome> {
  const { key, at, fields } = action;
  if (ctx.cursor.hasAction(key)) {
    ctx.log.debug({ at, key, ...fields }, "already done, not sent again");
    return "duplicate";
  }
  try {
    await action.method.staticCall(...action.args);
  } catch (err) {
    ctx.log.warn({ at, key, ...fields, err: errorText(err) }, "the chain would refuse this call; not sent");
    return "refused";
  }
  if (!ctx.cursor.claimAction(key, action.block, "claimed")) return "duplicate";
  let receipt: TransactionReceipt;
  try {
    receipt = await send(ctx, await action.method.populateTransaction(...action.args));
  } catch (err) {
    // Nothing of ours was mined at this nonce (the sender reconciles that before it throws), so
    // the claim is released and the failure rethrown: the event's range (or the timed action) is
    // handled again, and the role checks the chain before acting. At worst a transaction that is
    // still in flight makes the retry revert: gas lost, never an action taken twice.
    ctx.cursor.releaseAction(key);
    if (action.doneByOthers && (await action.doneByOthers())) {
      ctx.log.info({ at, key, ...fields, err: errorText(err) }, "another node did it first; nothing to retry");
      return "refused";
    }
    ctx.metrics.jobFailed("txFailed");
    ctx.metrics.rpcError(at);
    ctx.log.error({ at, key, ...fields, err: errorText(err) }, "transaction failed; the claim is released and the action will be retried");
    throw new ActionFailedError(key, err);
  }
  ctx.cursor.settleAction(key, receipt.hash, { block: receipt.blockNumber, hash: receipt.blockHash });
  if (receipt.status !== 1 && action.doneByOthers && (await action.doneByOthers())) {
    ctx.log.info({ at, key, ...fields, tx: receipt.hash }, "another node did it first (reverted)");
    return "refused";
  }
  if (receipt.status !== 1) {
    ctx.metrics.jobFailed("txReverted");
    ctx.log.error({ at, key, ...fields, tx: receipt.hash }, "transaction reverted");
    return "failed";
  }
  ctx.log.info({ at, key, ...fields, tx: receipt.hash }, "sent");
  return "sent";
}

/** Sends one transaction through the TxSender, counted in `pending_transactions` until its wait ends. */
export function send(ctx: RoleContext, tx: ContractTransaction): Promise<TransactionReceipt> {
  return trackPending(ctx.metrics, () => ctx.sender.send(tx));
}

/** The chain's clock: the latest block's timestamp (the next block is later). */
export async function chainNow(ctx: RoleContext): Promise<number> {
  const block = await ctx.signer.provider?.getBlock("latest");
  if (!block) throw new Error("the RPC endpoint returned no latest block");
  return block.timestamp;
}

/** The latest block number: the block recorded with a timed action's claim. */
export async function headBlock(ctx: RoleContext): Promise<number> {
  const provider = ctx.signer.provider;
  if (!provider) throw new Error("the signer has no provider");
  return provider.getBlockNumber();
}

/**
 * A readable one-line description of an error: a protocol revert decoded (sdk/protocol), else one
 * ethers decoded, else the endpoint's own words for what ethers calls "could not coalesce error".
 */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const decoded = decodeRevert(err);
  if (decoded) return decoded.text;
  const revert = (err as { revert?: { name?: string; args?: unknown[] } }).revert;
  if (revert?.name) return `${revert.name}(${(revert.args ?? []).map(String).join(", ")})`;
  const short = (err as { shortMessage?: string }).shortMessage;
  return uncoalescedText(err) ?? short ?? err.message;
}

export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
