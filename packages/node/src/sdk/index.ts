/**
 * The client SDK dApps import: GlassboxClient and its types, typed errors and progress events,
 * the protocol's enums and revert decoding, the tensor codec, the tolerance rule, the size limits,
 * the content-store client and the placement of a request's input (inline or by reference).
 * Browser-safe (packages/node/test/sdk.protocol.ts checks that nothing reachable from sdk/ imports
 * a `node:` module or another package than ethers).
 */
export { GlassboxClient, modesMask } from "./client";
export { asGlassboxError, GlassboxError, type GlassboxErrorCode } from "./errors";
export { postedResultIn, type PostedResult } from "./postedResult";
export { jobIdOf, type JobProgress, type JobProgressKind, type LogPosition, type ReceiptLike, type RefundReasonName, type VerdictName } from "./events";
export { CALLBACK_GAS_UNIT, CALLBACK_RESERVE, deliverGasLimit, type DeliverGasInput } from "./deliverGas";
export type { Deviation } from "./deviation";
export type * from "./types";
export * from "./protocol";
export * from "../codec/tensor";
export { compareOutputs, TOLERANCE_SCALE, type Comparison, type TolerancePolicy, type WorstElement } from "../verify/tolerance";
export * from "../limits";
export { ContentPublishError, publishBytes, type PublishOptions, type Published } from "../content/client";
export { InputPlacementError, placeInput, type PlaceOptions, type RequestInput } from "../content/requestInput";
