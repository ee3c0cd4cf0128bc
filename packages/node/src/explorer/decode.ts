/**
 * Decodes the protocol's logs for the explorer's index: which contract emitted a log (by address),
 * the event's name, its arguments made JSON-safe (bigints as decimal strings, bytes as hex, structs
 * as objects named by their fields, checksummed addresses), and the keys the index files it under
 * (job, dispute, node, model). The ABIs are the typechain factories' (the compiled contracts').
 */
import { Interface, type EventFragment, type Log, type ParamType, type Result } from "ethers";
import type { Deployment } from "../deployment";
import { DisputeManager__factory } from "../typechain/factories/contracts/DisputeManager__factory";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { ModelRegistry__factory } from "../typechain/factories/contracts/ModelRegistry__factory";
import { PaymentVault__factory } from "../typechain/factories/contracts/PaymentVault__factory";
import { QuorumManager__factory } from "../typechain/factories/contracts/QuorumManager__factory";
import { StakeManager__factory } from "../typechain/factories/contracts/StakeManager__factory";

/** The contracts whose logs the explorer indexes (every protocol contract but the token). */
export const INDEXED_CONTRACTS = ["jobRegistry", "quorumManager", "disputeManager", "paymentVault", "stakeManager", "modelRegistry"] as const;
export type IndexedContract = (typeof INDEXED_CONTRACTS)[number];

const ABIS: Record<IndexedContract, Interface> = {
  jobRegistry: new Interface(JobRegistry__factory.abi),
  quorumManager: new Interface(QuorumManager__factory.abi),
  disputeManager: new Interface(DisputeManager__factory.abi),
  paymentVault: new Interface(PaymentVault__factory.abi),
  stakeManager: new Interface(StakeManager__factory.abi),
  modelRegistry: new Interface(ModelRegistry__factory.abi),
};

/** A JSON value (what the `args` column holds). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One decoded log, ready to be stored. */
export interface DecodedEvent {
  contract: IndexedContract;
  name: string;
  /** The event's arguments by name, JSON-safe. */
  args: Record<string, Json>;
  jobId?: number;
  disputeId?: number;
  /** The node (or account) the event is about: a staker, an executor, a voter, a credited account. */
  node?: string;
  modelId?: number;
}

/** Decodes logs of one deployment's contracts. */
export class EventDecoder {
  private readonly byAddress = new Map<string, IndexedContract>();

  constructor(contracts: Deployment["contracts"]) {
    for (const name of INDEXED_CONTRACTS) this.byAddress.set(contracts[name].toLowerCase(), name);
  }

  /** The addresses whose logs are indexed. */
  addresses(): string[] {
    return [...this.byAddress.keys()];
  }

  /** The decoded event of `log`, or undefined for a log of another contract or an unknown event. */
  decode(log: Pick<Log, "address" | "topics" | "data">): DecodedEvent | undefined {
    const contract = this.byAddress.get(log.address.toLowerCase());
    if (!contract) return undefined;
    let parsed;
    try {
      parsed = ABIS[contract].parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return undefined;
    }
    if (!parsed) return undefined;
    const args = argsOf(parsed.fragment, parsed.args);
    return { contract, name: parsed.name, args, ...keysOf(contract, parsed.name, args) };
  }
}

/** The event's arguments as a JSON object keyed by the fragment's input names. */
function argsOf(fragment: EventFragment, values: Result): Record<string, Json> {
  const out: Record<string, Json> = {};
  fragment.inputs.forEach((input, i) => {
    out[input.name || `arg${i}`] = jsonOf(values[i], input);
  });
  return out;
}

/** A decoded ABI value as JSON: bigints as decimal strings, tuples as objects, arrays as lists. */
export function jsonOf(value: unknown, type: ParamType): Json {
  if (type.isTuple()) {
    const items = value as Result;
    const obj: Record<string, Json> = {};
    type.components.forEach((c, i) => {
      obj[c.name || `field${i}`] = jsonOf(items[i], c);
    });
    return obj;
  }
  if (type.isArray()) return [...(value as Result)].map((v) => jsonOf(v, type.arrayChildren));
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  return String(value);
}

const ZERO_ADDRESS = /^0x0{40}$/i;

/** The index keys of an event: its job, dispute, node and model, where its arguments name them. */
function keysOf(contract: IndexedContract, name: string, args: Record<string, Json>): Pick<DecodedEvent, "jobId" | "disputeId" | "node" | "modelId"> {
  const id = (v: Json | undefined): number | undefined => {
    if (typeof v !== "string") return undefined;
    const n = Number(v);
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  };
  const address = (v: Json | undefined): string | undefined => (typeof v === "string" && !ZERO_ADDRESS.test(v) ? v : undefined);
  const keys: Pick<DecodedEvent, "jobId" | "disputeId" | "node" | "modelId"> = {};
  const jobId = id(args.jobId);
  if (jobId !== undefined) keys.jobId = jobId;
  const disputeId = id(args.disputeId);
  if (disputeId !== undefined) keys.disputeId = disputeId;
  const modelId = id(args.modelId);
  if (modelId !== undefined) keys.modelId = modelId;
  // The node an event is about. A challenger is filed under the dispute (DisputeDetail), not here.
  const node = address(args.node) ?? address(args.executor) ?? address(args.voter) ?? (name === "Credited" ? address(args.account) : undefined);
  if (node !== undefined) keys.node = node;
  if (contract === "modelRegistry" && name.startsWith("Ownership")) delete keys.node;
  return keys;
}
