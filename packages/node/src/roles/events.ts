/**
 * Turns raw logs into the typed events the roles act on, with the ABIs of the typechain
 * contracts (no hand-written ABI). Logs of other events, or of other addresses, are ignored.
 */
import type { Log, LogDescription } from "ethers";
import type { Contracts } from "./context";
import type { DrawArmedEvent, JobAssignedEvent, JobRequestedEvent, ResultSubmittedEvent } from "../typechain/contracts/JobRegistry";
import type { CommitteeDrawnEvent, DisputeOpenedEvent } from "../typechain/contracts/DisputeManager";
import type { RevealPhaseStartedEvent, RoundOpenedEvent } from "../typechain/contracts/QuorumManager";

export type NodeEvent =
  | { name: "JobRequested"; log: Log; args: JobRequestedEvent.OutputObject }
  | { name: "DrawArmed"; log: Log; args: DrawArmedEvent.OutputObject }
  | { name: "JobAssigned"; log: Log; args: JobAssignedEvent.OutputObject }
  | { name: "ResultSubmitted"; log: Log; args: ResultSubmittedEvent.OutputObject }
  | { name: "RoundOpened"; log: Log; args: RoundOpenedEvent.OutputObject }
  | { name: "RevealPhaseStarted"; log: Log; args: RevealPhaseStartedEvent.OutputObject }
  | { name: "DisputeOpened"; log: Log; args: DisputeOpenedEvent.OutputObject }
  | { name: "CommitteeDrawn"; log: Log; args: CommitteeDrawnEvent.OutputObject };

const WANTED = new Set<string>(["JobRequested", "DrawArmed", "JobAssigned", "ResultSubmitted", "RoundOpened", "RevealPhaseStarted", "DisputeOpened", "CommitteeDrawn"]);

export class EventDecoder {
  private readonly byAddress: Map<string, Contracts[keyof Contracts]>;

  constructor(contracts: Contracts, addresses: { jobs: string; disputes: string; quorum: string }) {
    this.byAddress = new Map<string, Contracts[keyof Contracts]>([
      [addresses.jobs.toLowerCase(), contracts.jobs],
      [addresses.disputes.toLowerCase(), contracts.disputes],
      [addresses.quorum.toLowerCase(), contracts.quorum],
    ]);
  }

  /** The typed event, or undefined for a log the node does not act on. */
  decode(log: Log): NodeEvent | undefined {
    const contract = this.byAddress.get(log.address.toLowerCase());
    if (!contract) return undefined;
    let parsed: LogDescription | null;
    try {
      parsed = contract.interface.parseLog({ topics: [...log.topics], data: log.data });
    } catch {
      return undefined;
    }
    if (!parsed || !WANTED.has(parsed.name)) return undefined;
    // The typechain OutputObject of each event names exactly the fields of `parsed.args`, which
    // ethers' Result exposes by name; the cast only tells the compiler which event this is.
    return { name: parsed.name, log, args: parsed.args } as unknown as NodeEvent;
  }
}
