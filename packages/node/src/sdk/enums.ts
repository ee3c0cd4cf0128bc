/**
 * The protocol's enums as TypeScript: member names exactly as Solidity spells them, values their
 * ABI encoding (the member's position). One object per enum, so code reads `Status.Finalized`
 * and `Mode.QUORUM` instead of 5 and 2. packages/node/test/sdk.protocol.ts compares every one with
 * the compiled contracts' AST, so a change on either side fails that test.
 *
 * Browser-safe: no imports at all.
 */

/** contracts/types/Types.sol `Mode`: how a job's result is checked before it is paid. */
export const Mode = { NONE: 0, OPTIMISTIC: 1, QUORUM: 2, ATTESTED: 3 } as const;
export type Mode = (typeof Mode)[keyof typeof Mode];

/** contracts/types/Types.sol `Role`: the roles a node stakes for. */
export const Role = { EXECUTOR: 0, VERIFIER: 1 } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** contracts/types/Types.sol `Status`: the life of a job. */
export const Status = { None: 0, Unassigned: 1, Assigned: 2, Submitted: 3, Disputed: 4, Finalized: 5, Refunded: 6 } as const;
export type Status = (typeof Status)[keyof typeof Status];

/** contracts/types/Types.sol `Verdict`: a committee's or a quorum's verdict. */
export const Verdict = { Undecided: 0, Valid: 1, Invalid: 2 } as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** contracts/interfaces/IJobRegistry.sol `IJobRegistry.RefundReason`: why a fee went back to its requester. */
export const RefundReason = { Cancelled: 0, Expired: 1, InvalidInput: 2, Rejected: 3, Undecided: 4 } as const;
export type RefundReason = (typeof RefundReason)[keyof typeof RefundReason];

/** contracts/interfaces/IRandomnessSource.sol `RandomnessStatus`: where a target's random value stands. */
export const RandomnessStatus = { Pending: 0, Ready: 1, Lost: 2 } as const;
export type RandomnessStatus = (typeof RandomnessStatus)[keyof typeof RandomnessStatus];

/** contracts/interfaces/IRefereeGame.sol `IRefereeGame.GameStatus`: where a refereed game stands. */
export const GameStatus = { None: 0, Active: 1, Invalid: 2 } as const;
export type GameStatus = (typeof GameStatus)[keyof typeof GameStatus];

/** contracts/interfaces/IRefereeGame.sol `IRefereeGame.PathStatus`: where a challenger's path stands. */
export const PathStatus = { None: 0, Joined: 1, AtNode: 2, Won: 3, Lost: 4, Void: 5 } as const;
export type PathStatus = (typeof PathStatus)[keyof typeof PathStatus];

/** contracts/interfaces/IRefereeGame.sol `IRefereeGame.NodeKind`: how the defender opened a node. */
export const NodeKind = { None: 0, Inner: 1, Leaf: 2 } as const;
export type NodeKind = (typeof NodeKind)[keyof typeof NodeKind];

/** contracts/interfaces/IRefereeGame.sol `IRefereeGame.EndReason`: why a path ended. */
export const EndReason = { Fault: 0, MalformedTree: 1, DefenderTimeout: 2, Upheld: 3, ChallengerTimeout: 4, Voided: 5 } as const;
export type EndReason = (typeof EndReason)[keyof typeof EndReason];

/**
 * Why an executor says an input cannot be run: the second byte of the invalid-input claim
 * `0x00 reason` (contracts/libraries/TensorCodec.sol reads only the marker byte; the reasons are
 * the nodes' convention, compared byte for byte by verifiers).
 */
export const INVALID_REASONS = {
  undecodableInput: 1,
  inputDoesNotFitModel: 2,
  modelUnavailable: 3,
  modelFailed: 4,
  inputTooLarge: 5,
} as const;
export type InvalidReason = keyof typeof INVALID_REASONS;

/** Every Solidity enum mirrored here, by its Solidity name (what the AST test walks). */
export const SOLIDITY_ENUMS = { Mode, Role, Status, Verdict, RefundReason, RandomnessStatus, GameStatus, PathStatus, NodeKind, EndReason } as const;

/** An enum's member names in value order: `namesOf(Status)[5] === "Finalized"`. */
export function namesOf<E extends Record<string, number>>(e: E): (keyof E & string)[] {
  return (Object.keys(e) as (keyof E & string)[]).sort((a, b) => e[a] - e[b]);
}

/** The member of `e` whose value is `value` (a number or a uint8 read as bigint), or undefined. */
export function nameOf<E extends Record<string, number>>(e: E, value: number | bigint): (keyof E & string) | undefined {
  const n = Number(value);
  return (Object.keys(e) as (keyof E & string)[]).find((k) => e[k] === n);
}

/** Lower-case mode names as the CLI takes them (`none`, `optimistic`, ...), in value order. */
export const MODE_NAMES = namesOf(Mode).map((m) => m.toLowerCase() as Lowercase<keyof typeof Mode>);
/** Lower-case role names as the CLI takes them (`executor`, `verifier`), in value order. */
export const ROLE_NAMES = namesOf(Role).map((r) => r.toLowerCase() as Lowercase<keyof typeof Role>);
