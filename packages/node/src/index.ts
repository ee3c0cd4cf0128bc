/**
 * @glassbox/node: the off-chain node (executor, verifier, keeper duties), its command line and the
 * pieces a program that runs or drives nodes needs. The browser-safe client SDK is the subpath
 * `@glassbox/node/sdk` (src/sdk); this entry adds what only runs in Node: onnxruntime-node, SQLite,
 * the file stores and the HTTP servers. Test-only pieces (ONNX fixture builders, the dishonest
 * strategy) are in packages/testkit, which nothing here imports.
 */
export * from "./sdk";
export { connectFromFile, onnxModelRunner } from "./sdkNode";

// Running a node
export { createNode, nodeConfigOf, type CreateNodeDeps, type CreatedNode } from "./createNode";
export { GlassboxNode, type NodeConfig, type NodeDeps, type StepResult } from "./node";
export { ConfigError, DEFAULT_DEPLOYMENT, DEFAULT_RPC, describeOptions, loadConfig, OPTIONS, type ConfigSources, type GlassboxConfig, type RoleSetting } from "./config";
export { KeyError, loadWallet, type KeySource } from "./keys";
export { main, oneLine, runCli, type CliIo } from "./cli";
export type { OutputStrategy } from "./roles/executor";

// Deployment files
export { CONTRACT_NAMES, DeploymentError, checkChain, parseDeployment, readDeployment, recordContentStore, writeDeployment, type ContractName, type Deployment, type DeployedProtocol } from "./deployment";

// Tensors as JSON (the codec, the tolerance rule and the size limits come with the SDK above)
export { TensorJsonError, parseTensorJson, tensorsToJson, type JsonTensor } from "./tensorJson";

// Chain access
export { pinnedJsonRpcProvider, RPC_REQUEST_TIMEOUT_MS, type ProviderOptions } from "./chain/provider";
export { DEFAULT_SENDER_OPTIONS, NonceGapError, TransactionStuckError, TxSender, withMargin, type SenderOptions } from "./chain/txSender";
export { readResult, RevealNotFoundError, type ChainResult } from "./chain/results";
export { blockHeaderHash, encodeBlockHeader, type RpcBlockHeader } from "./chain/blockHeader";

// Models, inputs, outputs and content
export { InvalidInputError, ModelLoadError, ModelRunner, sessionOptions, type Dim, type TensorSpec } from "./runtime/runner";
export { ModelStore, type ModelRef, type ModelStoreOptions } from "./store/modelStore";
export { InputFetchError, InputSource, type InputRef, type InputSourceOptions } from "./store/inputs";
export { OutputPublisher, fetchReferencedOutput, publishedPath, readPublished, type OutputPublisherOptions } from "./store/outputs";
export { digestHex, prefixed, sha256Hex } from "./store/digest";
export { ContentStoreServer, type ContentStoreOptions } from "./content/server";

// The explorer: an index of a deployment's logs, its JSON API and pages
export { startExplorer, DEFAULT_EXPLORER_PORT, type ExplorerOptions, type RunningExplorer } from "./explorer/run";
export { createExplorerIndex, EXPLORER_SCOPE, type ExplorerIndex, type ExplorerIndexOptions } from "./explorer/runner";
export { ExplorerQueries } from "./explorer/queries";
export { openExplorerDb, openExplorerDbReadOnly } from "./explorer/schema";
export { compareWithChain, type Mismatch } from "./explorer/audit";
export { ExplorerServer, DEFAULT_WEB_DIR, type ExplorerServerOptions } from "./explorer/server";
export { defaultExplorerDb } from "./cliExplorer";
export type {
  ApiError,
  ChainPosition,
  DisputeDetail,
  DisputeSummary,
  ExplorerConfig,
  JobDetail,
  JobStatusName,
  JobSummary,
  ModelDetail,
  ModelSummary,
  ModelVersion,
  NetworkSummary,
  NodeDetail,
  NodeSummary,
  Page,
  Payout,
  Slash,
  TimelineStep,
} from "./explorer/types";

// Refereed disputes (issue 15, in progress): the exact integer arithmetic, programs and their interpreter, the commitments (docs/REFEREE.md)
export { ArithmeticDomainError, dequantizeValue, f32, float32Bits, float32FromBits, QUANT_RANGE, quantizeValue, requantize, roundHalfEven, type QuantDType } from "./referee/arith";
export { canonicalProgramBytes, programHash, ProgramError, validateProgram, type ConstantDecl, type Program, type ProgramOp, type TensorDecl } from "./referee/program";
export { runProgram, type ProgramTensor, type RunResult } from "./referee/interpreter";
export {
  activationIndex,
  activationRowMajor,
  ARITY,
  columnLeafStride,
  depthFor,
  elementSize,
  encodeActivation,
  encodeChannelRecords,
  encodeConvFilters,
  encodeMatrixColumns,
  filterLeafStride,
  LEAF_BYTES,
  leafHash,
  MAX_PROOF_DEPTH,
  MAX_PROOF_LEAVES,
  MerkleTree,
  nodeHash,
  traceRoot,
  verifyRange,
  type ChannelRecord,
  type CommitDType,
  type RangeProof,
} from "./referee/commit";
export { commitTrace, encodeDescriptor, lowerProgram, NotRefereeableError, STEP_KIND, type CommittedTrace, type CommittedWeights, type RefereeProgram, type RefereeStep, type StepKind } from "./referee/steps";
export { oneStepWitness, WitnessError, type OneStepWitness, type WitnessRange } from "./referee/witness";
export { RECORD_BYTES, recordLeaf, RecordTree } from "./referee/records";
export { mulberry32, refereeCnn, refereeMlp, zooInput, zooProgram, type ZooModel } from "./referee/zoo";
export { refereeInputSpec } from "./referee/inputSpec";
export { traceTensorNames, withTraceOutputs } from "./referee/ortTrace";
// compileOnnx stays internal for now (zooProgram compiles the zoo's models): its signature names onnx-proto's types, whose declarations need skipLibCheck.
export { selfTest, type SelfTestResult } from "./referee/selfTest";
