/**
 * The one place where the node's configuration becomes a node: which option goes where in the
 * node's NodeConfig (`nodeConfigOf`), and the node with what it counts into and the ops endpoint
 * that serves those counts (`createNode`). `glassbox node start` runs what this returns:
 *
 *   const { node, ops } = createNode(config, deployment, { signer });
 *   await ops?.start();
 *   await node.init();
 *   await node.run(signal);
 *   await node.close();
 *   await ops?.stop();
 */
import fs from "node:fs";
import path from "node:path";
import type { Signer } from "ethers";
import pino from "pino";
import type { GlassboxConfig } from "./config";
import type { Deployment } from "./deployment";
import { GlassboxNode, type NodeConfig, type NodeDeps } from "./node";
import type { NodeLogger } from "./ops/logger";
import { PromNodeMetrics } from "./ops/metrics";
import { OpsServer } from "./ops/server";
import type { OutputStrategy } from "./roles/executor";

export interface CreateNodeDeps {
  /** The node's key, connected to the chain's RPC. */
  signer: Signer;
  /** Where the node logs. Default: pino JSON lines on stderr at the configured logLevel. */
  logger?: NodeLogger;
  /** Only code sets it (the devnet's dishonest executor, tests): what the executor does to its outputs. */
  strategy?: OutputStrategy;
  /** Only code sets it (tests): the start-up self-test in place of referee/selfTest.ts's (NodeDeps.selfTest). */
  selfTest?: NodeDeps["selfTest"];
}

export interface CreatedNode {
  node: GlassboxNode;
  /** What the node counts; `ops` serves it at /metrics. */
  metrics: PromNodeMetrics;
  /** The ops endpoint (/healthz, /metrics, /outputs/), or undefined when metricsPort is 0. */
  ops: OpsServer | undefined;
  logger: NodeLogger;
}

/** Where each option of the configuration goes in the node's NodeConfig; files live under dataDir. */
export function nodeConfigOf(config: GlassboxConfig, deployment: Deployment): NodeConfig {
  return {
    jobRegistry: deployment.contracts.jobRegistry,
    dbFile: path.join(config.dataDir, "node.sqlite"),
    modelCacheDir: path.join(config.dataDir, "models"),
    roles: { executor: config.roles !== "verifier", verifier: config.roles !== "executor" },
    models: config.models,
    watchShare: config.watchShare,
    confirmations: config.confirmations,
    maxRange: config.maxLogRange,
    startBlock: deployment.deploymentBlock,
    pollIntervalMs: config.pollIntervalMs,
    sender: { bumpPercent: config.feeBumpPercent, replaceAfterMs: config.replaceAfterMs, maxAttempts: config.maxTxAttempts },
    modelStore: { ipfsGateway: config.ipfsGateway, maxBytes: config.maxModelBytes },
    inputs: { ipfsGateway: config.ipfsGateway, maxBytes: config.maxInputBytes, allowFileUris: config.allowFileInputs, allowPrivateHosts: config.allowPrivateUris },
    outputs:
      config.outputBaseUrl === undefined
        ? undefined
        : { dir: path.join(config.dataDir, "outputs"), baseUrl: config.outputBaseUrl, inlineBytes: config.inlineOutputBytes },
  };
}

/**
 * The node of `config` on `deployment`, counting into Prometheus metrics, with its ops endpoint
 * (not started). Makes dataDir; sends and reads nothing.
 */
export function createNode(config: GlassboxConfig, deployment: Deployment, deps: CreateNodeDeps): CreatedNode {
  fs.mkdirSync(config.dataDir, { recursive: true });
  const nodeConfig = nodeConfigOf(config, deployment);
  const metrics = new PromNodeMetrics();
  const logger = deps.logger ?? pino({ level: config.logLevel, base: undefined }, pino.destination(2));
  const node = new GlassboxNode(nodeConfig, { signer: deps.signer, logger, metrics, strategy: deps.strategy, selfTest: deps.selfTest });
  const { outputs } = nodeConfig;
  if (outputs && config.metricsPort === 0) {
    // `at` as `glassbox node start` has always logged it, for whoever searches the logs for it.
    logger.warn(
      { at: "cli.nodeStart", outputsDir: outputs.dir, outputBaseUrl: outputs.baseUrl },
      "the ops endpoint is off (metricsPort 0): serve the outputs directory at outputBaseUrl yourself, or verifiers will judge by-reference outputs wrong",
    );
  }
  const ops = config.metricsPort === 0 ? undefined : new OpsServer({ port: config.metricsPort, metrics, outputsDir: outputs?.dir });
  return { node, metrics, ops, logger };
}
