/**
 * The client SDK dApps import: GlassboxClient and its types, typed errors and progress events,
 * and the protocol's enums and revert decoding. Browser-safe (verifier/test/sdk.protocol.ts checks
 * that nothing reachable from sdk/ imports a `node:` module).
 */
export { GlassboxClient, modesMask } from "./client";
export { asGlassboxError, GlassboxError, type GlassboxErrorCode } from "./errors";
export { jobIdOf, type JobProgress, type JobProgressKind, type LogPosition, type ReceiptLike, type RefundReasonName, type VerdictName } from "./events";
export type { Deviation } from "./deviation";
export type * from "./types";
export * from "./protocol";
