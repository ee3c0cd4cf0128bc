/**
 * The protocol as TypeScript, for every client (the CLI, the node, dApps, tasks and tests): its
 * enums (enums.ts) and its reverts decoded with what to do next (reverts.ts, hints.ts).
 *
 * Browser-safe: no `node:` imports; only ethers and the typechain factories' ABIs.
 */
export { INVALID_REASONS, MODE_NAMES, Mode, nameOf, namesOf, RandomnessStatus, RefundReason, Role, ROLE_NAMES, SOLIDITY_ENUMS, Status, Verdict, type InvalidReason } from "./enums";
export { decodeRevert, decodeRevertData, PROTOCOL_ABIS, revertDataOf, type DecodedRevert, type DecodeOptions } from "./reverts";
export { HINTS, type HintFormat, type RevertArgs } from "./hints";
