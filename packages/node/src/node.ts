/**
 * The Glassbox node: one key, the executor and/or verifier role, one LogPoller over the
 * JobRegistry, DisputeManager and QuorumManager, and the timed actions (reveals, finalizes,
 * resolves, audits) kept in SQLite.
 *
 *   const node = new GlassboxNode(config, { signer, logger });
 *   await node.init();
 *   await node.run(abort.signal); // or node.step() from a test
 *   await node.close();
 */
import type { Log, Signer } from "ethers";
import { CursorStore } from "./chain/cursorStore";
import { LogPoller, OWN_TX_HISTORY, type LogHandler, type PollResult } from "./chain/logPoller";
import { TxSender, type SenderOptions } from "./chain/txSender";
import { InputSource, type InputSourceOptions } from "./store/inputs";
import { ModelStore, type ModelStoreOptions } from "./store/modelStore";
import { OutputPublisher, type OutputPublisherOptions } from "./store/outputs";
import { DisputeManager__factory, JobRegistry__factory, ModelRegistry__factory, QuorumManager__factory, StakeManager__factory } from "./typechain";
import { errorText, type Contracts, type RoleContext } from "./roles/context";
import { EventDecoder, type NodeEvent } from "./roles/events";
import { Executor, type OutputStrategy } from "./roles/executor";
import { JobBook } from "./roles/jobBook";
import { PendingStore, type UnreadableAction } from "./roles/pendingStore";
import { EXECUTOR_ACTIONS, finishUnrun, runTimedAction, VERIFIER_ACTIONS, type PendingAction, type TimedActionHandlers } from "./roles/timedActions";
import { Verifier } from "./roles/verifier";
import type { NodeLogger } from "./ops/logger";
import { NoMetrics, type NodeMetrics } from "./ops/metrics";
import { selfTest, type SelfTestResult } from "./referee/selfTest";

/** Longest wait at start for this key's in-flight transactions before unsettled claims are released. */
export const UNSETTLED_WAIT_MS = 60_000;

/** Longest pause of `run` after repeated failed iterations. */
export const MAX_BACKOFF_MS = 30_000;

export interface NodeConfig {
  /** The JobRegistry; the other contracts are read from it. */
  jobRegistry: string;
  /** SQLite file of the cursor, the action keys and the pending actions (":memory:" for a throwaway node). */
  dbFile: string;
  /** Directory of the model cache. */
  modelCacheDir: string;
  roles: { executor: boolean; verifier: boolean };
  /**
   * The models this executor means to serve: at init the node warns for each it is not opted in to
   * (an executor is drawn only from the pools of the models it opted in to). Unset: it warns only
   * when it is opted in to no model. Nothing is sent either way: opting in is the operator's call.
   */
  models?: number[];
  /** Share of other nodes' OPTIMISTIC results the verifier re-runs unasked (0..1). */
  watchShare: number;
  /** Blocks to wait behind the head. */
  confirmations: number;
  /** Largest block range of one getLogs call. */
  maxRange: number;
  /** Deployment block: where to start without a cursor. */
  startBlock: number;
  /** Pause between iterations of `run` when caught up, in ms. */
  pollIntervalMs: number;
  sender?: Partial<SenderOptions>;
  modelStore?: ModelStoreOptions;
  /** By-reference job inputs; the IPFS gateway defaults to the model store's. */
  inputs?: InputSourceOptions;
  /** Where the executor publishes outputs above the inline limit; unset: every output inline. */
  outputs?: OutputPublisherOptions;
}

export interface NodeDeps {
  signer: Signer;
  logger: NodeLogger;
  /** Where the node counts what it does (Prometheus in `glassbox node start`). Default: NoMetrics. */
  metrics?: NodeMetrics;
  /** Tests only: what the executor does to its outputs (a dishonest executor). */
  strategy?: OutputStrategy;
  /**
   * The start-up self-test of onnxruntime's integer kernels, run once by `init`. Default: selfTest
   * (referee/selfTest.ts) on this CPU; tests inject a failing one.
   */
  selfTest?: () => Promise<SelfTestResult>;
}

export interface StepResult {
  poll?: PollResult;
  /** Timed actions run (and finished) in this step. */
  dueDone: number;
}

export class GlassboxNode implements LogHandler {
  private ctx: RoleContext | undefined;
  private poller: LogPoller | undefined;
  private decoder: EventDecoder | undefined;
  private executor: Executor | undefined;
  private verifier: Verifier | undefined;
  private timedActions: TimedActionHandlers | undefined;
  private running: Promise<StepResult> | undefined;
  private readonly metrics: NodeMetrics;

  constructor(
    private readonly config: NodeConfig,
    private readonly deps: NodeDeps,
  ) {
    if (!config.roles.executor && !config.roles.verifier) throw new Error("roles: enable executor, verifier or both");
    this.metrics = deps.metrics ?? new NoMetrics();
  }

  /** The node's address (after init). */
  get address(): string {
    return this.context().address;
  }

  /** Reads the contract addresses, opens the stores and wires the roles. */
  async init(): Promise<void> {
    const { signer, logger } = this.deps;
    const provider = signer.provider;
    if (!provider) throw new Error("the signer has no provider; connect it to an RPC first");
    const address = await signer.getAddress();
    const jobs = JobRegistry__factory.connect(this.config.jobRegistry, signer);
    const [disputesAddr, quorumAddr, modelsAddr, chain] = await Promise.all([jobs.DISPUTES(), jobs.QUORUM(), jobs.MODELS(), provider.getNetwork()]);
    const contracts: Contracts = {
      jobs,
      disputes: DisputeManager__factory.connect(disputesAddr, signer),
      quorum: QuorumManager__factory.connect(quorumAddr, signer),
      models: ModelRegistry__factory.connect(modelsAddr, signer),
    };
    const scope = `${chain.chainId}:${this.config.jobRegistry.toLowerCase()}:${address.toLowerCase()}`;
    const cursor = new CursorStore(this.config.dbFile, scope);
    const store = new ModelStore(this.config.modelCacheDir, { ...this.config.modelStore, log: (line) => logger[line.level]({ ...line }, line.msg) });
    const inputs = new InputSource({ ipfsGateway: this.config.modelStore?.ipfsGateway, ...this.config.inputs });
    const metrics = this.metrics;
    const selfTestPassed = await startupSelfTest(this.deps.selfTest ?? selfTest, logger, metrics);
    this.ctx = {
      address,
      signer,
      contracts,
      cursor,
      pending: new PendingStore(this.config.dbFile, scope),
      book: new JobBook(jobs, contracts.models, store, this.config.startBlock, { inputs, metrics, selfTestPassed, log: logger }),
      sender: new TxSender(signer, this.config.sender),
      log: logger,
      metrics,
    };
    if (this.config.roles.executor) {
      const publisher = this.config.outputs ? new OutputPublisher(this.config.outputs) : undefined;
      this.executor = new Executor(this.ctx, { strategy: this.deps.strategy, publisher });
    }
    if (this.config.roles.verifier) this.verifier = new Verifier(this.ctx, { watchShare: this.config.watchShare });
    // An action of a role this node does not run (its roles changed since it was stored) is dropped.
    this.timedActions = {
      ...(this.executor?.timedActions() ?? finishUnrun(EXECUTOR_ACTIONS)),
      ...(this.verifier?.timedActions() ?? finishUnrun(VERIFIER_ACTIONS)),
    };
    this.decoder = new EventDecoder(contracts, { jobs: this.config.jobRegistry, disputes: disputesAddr, quorum: quorumAddr });
    this.poller = new LogPoller(provider, cursor, this, {
      addresses: [this.config.jobRegistry, disputesAddr, quorumAddr],
      confirmations: this.config.confirmations,
      maxRange: this.config.maxRange,
      startBlock: this.config.startBlock,
    });
    await this.releaseUnsettled();
    const models = this.config.roles.executor ? await this.checkOptIns(await jobs.STAKES()) : undefined;
    logger.info({ at: "Node.init", address, scope, roles: this.config.roles, ...(models ? { models } : {}) }, "node ready");
  }

  /**
   * An executor is drawn only for the models it opted in to (StakeManager.optIn). Warns for each
   * configured model this key is not opted in to, or, with no models configured, when it is opted in
   * to none; sends nothing. Returns the models it is opted in to.
   */
  private async checkOptIns(stakesAddress: string): Promise<number[]> {
    const ctx = this.context();
    const stakes = StakeManager__factory.connect(stakesAddress, ctx.signer);
    const optedIn = (await stakes.modelsOf(ctx.address)).map(Number).sort((a, b) => a - b);
    const wanted = this.config.models;
    const hint = "glassbox node opt-in --model";
    if (wanted === undefined) {
      if (optedIn.length === 0) {
        ctx.log.warn({ at: "Node.init", models: [] }, `this executor is opted in to no model, so it is never drawn for a job: opt in to each model it serves with ${hint} <id> (it counts from the next stake epoch)`);
      }
      return optedIn;
    }
    const count = await ctx.contracts.models.modelCount();
    for (const model of wanted) {
      if (BigInt(model) > count) {
        ctx.log.warn({ at: "Node.init", model }, `model ${model} (in models) does not exist: the registry has ${count} model${count === 1n ? "" : "s"}; check the models option`);
      } else if (!optedIn.includes(model)) {
        ctx.log.warn({ at: "Node.init", model, optedIn }, `not opted in to model ${model}: this executor is never drawn for its jobs; opt in with: ${hint} ${model} (it counts from the next stake epoch)`);
      }
    }
    const extra = optedIn.filter((m) => !wanted.includes(m));
    if (extra.length > 0) {
      ctx.log.info({ at: "Node.init", models: extra }, `also opted in to model${extra.length === 1 ? "" : "s"} ${extra.join(", ")} (not in models): drawn for their jobs too, and serves them; glassbox node opt-out --model <id> leaves one`);
    }
    return optedIn;
  }

  /** One iteration: one poll, then every due timed action. Calls never overlap. */
  step(): Promise<StepResult> {
    if (!this.running) {
      this.running = this.iterate().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  /** Iterates until `signal` aborts; waits for the running iteration before returning. */
  async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let pause = this.config.pollIntervalMs;
      try {
        const result = await this.step();
        failures = 0;
        if (result.poll !== undefined) pause = 0; // still catching up: go on at once
      } catch (err) {
        failures++;
        pause = Math.min(this.config.pollIntervalMs * 2 ** failures, MAX_BACKOFF_MS);
        this.metrics.rpcError("Node.run");
        this.deps.logger.error({ at: "Node.run", failures, backoffMs: pause, err: errorText(err) }, "iteration failed; backing off");
      }
      if (pause > 0 && !signal.aborted) await sleep(pause, signal);
    }
  }

  /** Frees the models and closes the stores (after the running iteration). */
  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    if (!this.ctx) return;
    await this.ctx.book.release();
    this.ctx.pending.close();
    this.ctx.cursor.close();
    this.ctx = undefined;
  }

  /**
   * LogHandler: every log of a range, in chain order. A handler that fails (an RPC error, most
   * often) is logged and rethrown, so the poller does not advance its cursor and the whole range is
   * handled again on the next step; every handler is idempotent, so what already succeeded is not
   * redone.
   */
  async onLogs(logs: Log[]): Promise<void> {
    const decoder = this.decoder;
    if (!decoder) throw new Error("GlassboxNode: call init() first");
    for (const log of logs) {
      const event = decoder.decode(log);
      if (!event) continue;
      try {
        await this.dispatch(event);
      } catch (err) {
        this.metrics.rpcError(`Node.${event.name}`);
        this.deps.logger.error({ at: `Node.${event.name}`, block: log.blockNumber, tx: log.transactionHash, err: errorText(err) }, "event handler failed; the range will be handled again");
        throw err;
      }
    }
  }

  /**
   * LogHandler: the actions of removed blocks were forgotten by the store; their events are
   * replayed. The transactions of the removed blocks are gone too, so the sender's nonce is read
   * from the chain's mined count again (the lowest nonce a removed transaction left free).
   */
  async onReorg(forkBlock: number, forgottenActions: string[]): Promise<void> {
    const ctx = this.context();
    ctx.sender.resync("latest");
    // Timed actions finished above the fork may have lost their transactions: due again (each
    // checks the chain before acting, so one whose transaction survived sends nothing).
    const restoredActions = ctx.pending.restoreSince(forkBlock);
    this.deps.logger.warn({ at: "Node.reorg", forkBlock, forgottenActions, restoredActions }, "chain reorganised; replaying from the fork");
  }

  /**
   * After a crash between a claim and its receipt the claim is unsettled: it is released, so the
   * role reconsiders the action against the chain. Waits (bounded) for this key's transactions
   * still in flight to be mined first, since one of them may be that action's.
   */
  private async releaseUnsettled(): Promise<void> {
    const ctx = this.context();
    const until = Date.now() + UNSETTLED_WAIT_MS;
    let inFlight = await ctx.sender.inFlight();
    while (inFlight > 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      inFlight = await ctx.sender.inFlight();
    }
    const released = ctx.cursor.releaseUnsettled();
    if (released.length > 0) ctx.log.warn({ at: "Node.init", released, inFlight }, "claims left unsettled by an earlier run were released; their actions are checked against the chain again");
  }

  private async iterate(): Promise<StepResult> {
    const ctx = this.context();
    const poller = this.poller as LogPoller;
    const poll = await poller.poll();
    // One read of the head serves both the health report and the clock of the timed actions.
    const head = await ctx.signer.provider?.getBlock("latest");
    this.metrics.pollSucceeded(poll?.to ?? head?.number ?? 0);
    let dueDone = 0;
    const now = head?.timestamp ?? 0;
    for (const action of ctx.pending.due(now)) {
      try {
        if (await this.runDue(action)) {
          ctx.pending.complete(action.key, head?.number ?? 0);
          dueDone++;
        }
      } catch (err) {
        this.metrics.rpcError("Node.due");
        ctx.log.error({ at: `Node.due`, key: action.key, err: errorText(err) }, "timed action failed; retrying next step");
      }
    }
    if (head) ctx.pending.pruneDone(head.number - OWN_TX_HISTORY);
    return { poll, dueDone };
  }

  /** Runs one due timed action with its role's handler; true when it is finished. A row no handler can read is dropped. */
  private async runDue(action: PendingAction | UnreadableAction): Promise<boolean> {
    if ("unreadable" in action) {
      this.context().log.error({ at: "Node.due", key: action.key, kind: action.kind, why: action.unreadable }, "unreadable pending action; dropped");
      return true;
    }
    if (!this.timedActions) throw new Error("GlassboxNode: call init() first");
    return runTimedAction(this.timedActions, action);
  }

  private async dispatch(event: NodeEvent): Promise<void> {
    const ctx = this.context();
    const block = event.log.blockNumber;
    switch (event.name) {
      case "JobRequested":
        this.metrics.jobSeen();
        ctx.book.remember(event.args);
        return;
      case "DrawArmed":
        return this.executor?.onDrawArmed(event.args);
      case "JobAssigned":
        await this.verifier?.onAssigned(event.args);
        return this.executor?.onAssigned(event.args, block);
      case "RoundOpened":
        await this.verifier?.onRoundOpened(event.args);
        return this.executor?.onRoundOpened(event.args, block);
      case "RevealPhaseStarted":
        return; // reveals are timed actions; the next `due` pass sees the phase open
      case "ResultSubmitted":
        return this.verifier?.onResultSubmitted(event.args, block);
      case "DisputeOpened":
        return this.verifier?.onDisputeOpened(event.args);
      case "CommitteeDrawn":
        return this.verifier?.onCommitteeDrawn(event.args, block);
    }
  }

  private context(): RoleContext {
    if (!this.ctx) throw new Error("GlassboxNode: call init() first");
    return this.ctx;
  }
}

/**
 * Runs the start-up self-test (referee/selfTest.ts) once, logs its outcome (with the first element
 * that differs when it fails) and sets the `referee_selftest_pass` gauge. A self-test that throws
 * counts as failed. Returns whether it passed: only then may onnxruntime compute refereed programs.
 */
export async function startupSelfTest(run: () => Promise<SelfTestResult>, log: NodeLogger, metrics: NodeMetrics): Promise<boolean> {
  let result: SelfTestResult;
  try {
    result = await run();
  } catch (err) {
    metrics.refereeSelfTest(false);
    log.error({ at: "Node.selfTest", pass: false, err: errorText(err) }, "the self-test of onnxruntime's integer kernels could not run; refereed programs run on the reference interpreter");
    return false;
  }
  metrics.refereeSelfTest(result.pass);
  if (result.pass) {
    log.info({ at: "Node.selfTest", pass: true }, "onnxruntime's integer kernels match the reference interpreter on saturating vectors; refereed programs whose int8 weights are within [-64, 64] run on onnxruntime");
  } else {
    log.warn(
      { at: "Node.selfTest", pass: false, firstDifference: result.firstDifference },
      "onnxruntime's integer kernels differ from the reference interpreter on this CPU (uint8 x int8 products saturate); every refereed program runs on the reference interpreter",
    );
  }
  return result.pass;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
