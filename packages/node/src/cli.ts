/**
 * The `glassbox` command line (commander):
 *
 *   glassbox node start | stake <role> <amount> | unstake <role> <amount> | withdraw <role>
 *                | opt-in --model <id> | opt-out --model <id> | status
 *                | claim
 *   glassbox model register <file.onnx> [policy options] | info <id>
 *                 | version publish <id> <file.onnx> [--uri <uri>] | version deprecate <id> <version>
 *                 | policy set <id> [policy options; those left out keep their current value]
 *   glassbox job request --model <id> --input <file.json> [--input-uri <uri> | --content-store <url>] [--by-reference]
 *                        [--mode ...] [--fee ...] [--wait] | status <id> | result <id>
 *                | verify <id>   (exit 0 within tolerance, 1 not within tolerance, 2 cannot check)
 *
 * claim, version, policy and verify are parse-and-print over GlassboxClient (cliSdk.ts); model
 * register and node stake/unstake/withdraw send through it, model info reads through it. job
 * request/status/result, node start, opt-in/opt-out and status still use the contracts directly.
 *
 * Every command takes the configuration options of config.ts (--rpc, --key, --keystore,
 * --deployment, ...). `runCli(argv, io)` runs one command in-process with injected output streams
 * (and, in tests, an injected provider); it never exits the process and never throws: a failure is
 * ONE line on stderr and exit code 1 (2 for `job verify` when it cannot check).
 */
import fs from "node:fs";
import { Command, CommanderError } from "commander";
import { formatUnits, JsonRpcProvider, keccak256, Network, parseUnits, type ContractRunner, type Provider, type Signer } from "ethers";
import { ConfigError, describeOptions, envName, flagName, loadConfig, OPTIONS, OPTION_NAMES, type GlassboxConfig, type OptionName } from "./config";
import { checkChain, DeploymentError, readDeployment, type Deployment } from "./deployment";
import { KeyError, loadWallet } from "./keys";
import { createNode } from "./createNode";
import type { OutputStrategy } from "./roles/executor";
import { encodeTensors, TensorCodecError } from "./codec/tensor";
import { errorText } from "./roles/context";
import type { NodeLogger } from "./ops/logger";
import { parseTensorJson, tensorsToJson, TensorJsonError } from "./tensorJson";
import { pinnedJsonRpcProvider } from "./chain/provider";
import { retryTransient, RpcUnavailableError, type RetryOptions } from "./chain/retry";
import { SendOutcomeUnknownError } from "./chain/retryingProvider";
import { transientReason, uncoalescedText } from "./chain/transient";
import { decodeRevert, MODE_NAMES, namesOf, RefundReason, Role, ROLE_NAMES, Status } from "./sdk/protocol";
import {
  GlassboxToken__factory,
  JobRegistry__factory,
  ModelRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
  type GlassboxToken,
  type JobRegistry,
  type ModelRegistry,
  type PaymentVault,
  type QuorumManager,
  type StakeManager,
} from "./typechain";
import { ContentPublishError } from "./content/client";
import { InputPlacementError } from "./content/requestInput";
import { DEFAULT_MODEL_MAX_INPUT_BYTES, inputLimitsText, MAX_INLINE_INPUT_BYTES, MAX_MODEL_INPUT_BYTES } from "./limits";
import { leastFee } from "./chain/leastFee";
import { GlassboxClient, GlassboxError, type FinalState, type JobInfo, type Mode, type RoleStake } from "./sdk";
import { CliError } from "./cliError";
import { runExplorer, type ExplorerFlags } from "./cliExplorer";
import { DEFAULT_EXPLORER_PORT } from "./explorer/run";
import { inspectCommand, ZOO, zooCommand } from "./cliReferee";
import { declareProgramOf, programOfModel, reproduceDeclaredPrograms } from "./cliProgram";
import { cacheModelFile, claim, cliLineOf, deprecateVersion, fetchWithFiles, idOption, intOption, modeMask, publishVersion, setPolicy, verifyJob, VERIFY_CANNOT_CHECK, type PolicyOptions } from "./cliSdk";

/** Mode names as the CLI takes them, in contracts/types/Types.sol order. */
export const MODES = MODE_NAMES;
/** Default audit rate of `model register`: the least every shipped deployment takes (its registry's bounds are read at registration). */
const DEFAULT_AUDIT_RATE_BPS = 500;
export const ROLES = ROLE_NAMES;
export const STATUSES = namesOf(Status);
export const REFUND_REASONS = namesOf(RefundReason);
/** ModelRegistry.TOLERANCE_SCALE: tolerances are stored as fixed-point integers. */
export const TOLERANCE_SCALE = 1e12;
/** How long the RPC probe waits before calling the endpoint unreachable. */
export const RPC_PROBE_TIMEOUT_MS = 5_000;

/** What a command may use of its surroundings; tests inject all of it. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: Record<string, string | undefined>;
  /** Used instead of connecting to --rpc (tests: Hardhat's in-process network). */
  provider?: Provider;
  /** `node start` runs until this aborts; default: until SIGINT or SIGTERM. */
  signal?: AbortSignal;
  /** `node start` logs here; default: pino JSON lines on stderr at --log-level. */
  logger?: NodeLogger;
  /**
   * What `node start`'s executor does to its outputs. Only code can set it (the devnet's dishonest
   * executor, tests); no flag, variable or file can: an honest node posts what it computed.
   */
  strategy?: OutputStrategy;
  /** How transient RPC failures are tried again (default: 4 attempts, 0.5 s doubling). */
  retry?: Partial<RetryOptions>;
}

export { CliError };

/**
 * Runs one command; returns the exit code: 0 success, 1 failure (`job verify`: the result is not
 * within tolerance), 2 when `job verify` cannot check, commander's code for usage errors.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode; // commander already printed its one line
    io.stderr(`glassbox: ${oneLine(err)}\n`);
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/** The one line printed for a failure: known errors by their message, chain errors decoded. */
export function oneLine(err: unknown): string {
  const known = [CliError, ConfigError, KeyError, DeploymentError, TensorJsonError, TensorCodecError, InputPlacementError, ContentPublishError];
  return failureText(err, known).replace(/\s*\n\s*/g, " ");
}

function failureText(err: unknown, known: (new (...args: never[]) => Error)[]): string {
  if (known.some((k) => err instanceof k)) return (err as Error).message;
  const down = findError(err, RpcUnavailableError);
  if (down) return `the RPC endpoint ${down.endpoint} did not answer after ${down.attempts} attempt${down.attempts === 1 ? "" : "s"} (${down.reason}); check that the chain is running and --rpc / ${envName("rpc")} is right`;
  const unknown = findError(err, SendOutcomeUnknownError);
  if (unknown) return unknown.message;
  // A revert reads as the CLI always printed it (the decoded error and its hint); other SDK errors
  // say what to do next in CLI terms.
  if (err instanceof GlassboxError) return err.revert !== undefined ? (decodeRevert(err.cause)?.message ?? err.message) : cliLineOf(err);
  const revert = decodeRevert(err);
  if (revert) return revert.message;
  // Never ethers' bare "could not coalesce error": the endpoint's own code and message instead.
  return uncoalescedText(err) ?? errorText(err);
}

/** `err` or the error it wraps (`cause`, `error`) that is an instance of `type`, if any. */
function findError<E extends Error>(err: unknown, type: new (...args: never[]) => E): E | undefined {
  for (let e = err, depth = 0; typeof e === "object" && e !== null && depth < 6; depth++) {
    if (e instanceof type) return e;
    const f = e as { cause?: unknown; error?: unknown };
    e = f.cause ?? f.error;
  }
  return undefined;
}

// ---- the program ----

type Flags = Partial<Record<OptionName, string>>;
const CONNECTION_OPTIONS: OptionName[] = ["rpc", "key", "keystore", "deployment", "pollIntervalMs", "dataDir", "logLevel"];

function buildProgram(io: CliIo): Command {
  const program = new Command("glassbox")
    .description("Glassbox: verifiable AI inference. Run a node, register models, request jobs.")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s), outputError: (s, write) => write(s) })
    .addHelpText("after", `\nConfiguration (flag, environment variable, default):\n${describeOptions()}\n`)
    .showSuggestionAfterError();

  const node = program.command("node").description("run a node and manage its stake");
  withOptions(node.command("start").description("serve jobs as executor and/or verifier until SIGINT/SIGTERM"), OPTION_NAMES).action((_o, cmd: Command) =>
    nodeStart(io, flagsOf(cmd)),
  );
  withOptions(node.command("stake <role> <amount>").description("stake <amount> tokens as executor or verifier")).action((role: string, amount: string, _o, cmd: Command) =>
    stake(io, flagsOf(cmd), role, amount),
  );
  withOptions(node.command("unstake <role> <amount>").description("start unbonding <amount> tokens")).action((role: string, amount: string, _o, cmd: Command) =>
    unstake(io, flagsOf(cmd), role, amount),
  );
  withOptions(node.command("withdraw <role>").description("withdraw stake whose unbonding period is over")).action((role: string, _o, cmd: Command) =>
    withdraw(io, flagsOf(cmd), role),
  );
  withOptions(
    node
      .command("opt-in")
      .description("join a model's executor pool: an executor is drawn only for the models it opted in to (at most 8), from the next stake epoch on")
      .requiredOption("--model <id>", "model id"),
  ).action((o: { model: string }, cmd: Command) => optIn(io, flagsOf(cmd), o.model));
  withOptions(
    node
      .command("opt-out")
      .description("leave a model's executor pool from the next stake epoch on (seats already drawn stay yours to serve)")
      .requiredOption("--model <id>", "model id"),
  ).action((o: { model: string }, cmd: Command) => optOut(io, flagsOf(cmd), o.model));
  withOptions(node.command("status").description("print the node's balances, stake and executor models (JSON)")).action((_o, cmd: Command) => status(io, flagsOf(cmd)));
  withOptions(node.command("claim").description("claim this key's accrued payouts (fees, rewards, refunds) from the payment vault; prints the amount in tokens")).action((_o, cmd: Command) =>
    withClient(io, flagsOf(cmd), true, (client) => claim(io, client)),
  );

  const model = program.command("model").description("register and inspect models");
  withOptions(
    model
      .command("register <file>")
      .description("hash an ONNX file, copy it into the model cache and register it; prints the model id")
      .option("--uri <uri>", "where nodes fetch the model (default: file:// URI of the cached copy)")
      .option("--modes <list>", `allowed modes, comma separated (${MODES.join(", ")}; quorum needs --exact)`, "none,optimistic")
      .option("--audit-rate <bps>", "share of OPTIMISTIC jobs audited unasked, in basis points (within the registry's bounds: 500 to 2000 on the shipped deployments when optimistic is allowed)", String(DEFAULT_AUDIT_RATE_BPS))
      .option("--abs-tol <x>", "per-element absolute tolerance", "0.0001")
      .option("--rel-tol <x>", "per-element relative tolerance", "0.001")
      .option("--exact", "outputs must match bit for bit (tolerances must then be 0)")
      .option("--min-fee <tokens>", "the owner's fee floor, in tokens", "0.01")
      .option(
        "--max-input <bytes>",
        `largest input accepted, inline or by reference, in bytes (1 to ${MAX_MODEL_INPUT_BYTES}, ModelRegistry.MAX_INPUT_BYTES; inputs above ${MAX_INLINE_INPUT_BYTES} can only be sent by reference)`,
        String(DEFAULT_MODEL_MAX_INPUT_BYTES),
      )
      .option("--runtime <seconds>", "longest the model takes on its largest input; a job's execution phase is at least this (0: the protocol's window)", "0")
      .option("--schema <file>", "schema document whose keccak256 is registered (default: none)")
      .option("--refereeable", "declare version 1 refereeable with the program hashes the file compiles to (needs --exact and a model built from explicit integer operators; see docs/REFEREE.md)"),
  ).action((file: string, o: RegisterOptions, cmd: Command) => registerModel(io, flagsOf(cmd), file, o));
  withOptions(model.command("info <id>").description("print a model's owner, versions and policy (JSON)")).action((id: string, _o, cmd: Command) => modelInfo(io, flagsOf(cmd), id));
  const version = model.command("version").description("publish and deprecate a model's versions (owner only)");
  withOptions(
    version
      .command("publish <modelId> <file>")
      .description("hash an ONNX file as model register does, cache it and publish it as the model's next version; prints the version number")
      .option("--uri <uri>", "where nodes fetch the model (default: file:// URI of the cached copy)")
      .option("--refereeable", "declare the new version refereeable with the program hashes the file compiles to (the model's policy must be exact)"),
  ).action((id: string, file: string, o: { uri?: string; refereeable?: boolean }, cmd: Command) => {
    const flags = flagsOf(cmd);
    return withClient(io, flags, true, (client, s) => publishVersion(io, client, id, file, o.uri, s.config.dataDir, o.refereeable === true));
  });
  withOptions(version.command("deprecate <modelId> <version>").description("deprecate a version: it takes no new jobs (jobs already requested are served)")).action(
    (id: string, v: string, _o, cmd: Command) => withClient(io, flagsOf(cmd), true, (client) => deprecateVersion(io, client, id, v)),
  );
  const programCmd = model.command("program").description("refereeable versions: the compiled program the on-chain referee checks traces against (docs/REFEREE.md)");
  withOptions(
    programCmd
      .command("declare <modelId> <version> <file>")
      .description("compile the version's ONNX file and declare its program and steps hashes (owner only; once per version; the policy must be exact)"),
  ).action((id: string, v: string, file: string, _o, cmd: Command) => withClient(io, flagsOf(cmd), true, (client) => declareProgramCommand(io, client, id, v, file)));
  const policy = model.command("policy").description("change a model's verification policy (owner only)");
  withOptions(
    policy
      .command("set <modelId>")
      .description("set the model's policy; an option left out keeps its current value (glassbox model info <id>); prints the new policy version, which jobs requested from now on pin")
      .option("--modes <list>", `allowed modes, comma separated (${MODES.join(", ")}; quorum needs an exact policy)`)
      .option("--audit-rate <bps>", "share of OPTIMISTIC jobs audited unasked, in basis points (within the registry's bounds)")
      .option("--abs-tol <x>", "per-element absolute tolerance")
      .option("--rel-tol <x>", "per-element relative tolerance")
      .option("--exact", "outputs must match bit for bit (tolerances become 0)")
      .option("--inexact", "outputs are compared within --abs-tol / --rel-tol (give both when the policy was exact)")
      .option("--min-fee <tokens>", "the owner's fee floor, in tokens")
      .option("--max-input <bytes>", `largest input accepted, in bytes (1 to ${MAX_MODEL_INPUT_BYTES})`)
      .option("--runtime <seconds>", "longest the model takes on its largest input (0: the protocol's window)")
      .option("--schema <file>", "schema document whose keccak256 is registered"),
  ).action((id: string, o: PolicyOptions, cmd: Command) => withClient(io, flagsOf(cmd), true, (client) => setPolicy(io, client, id, o)));

  const job = program.command("job").description("request jobs and read their results");
  withOptions(
    job
      .command("request")
      .description("request an inference; prints the job id")
      .requiredOption("--model <id>", "model id")
      .requiredOption("--input <file>", 'JSON input: {"<name>": {"dtype": "float32", "shape": [1, 4], "data": [...]}}')
      .option("--content-store <url>", "content store that takes inputs too large to go inline [GLASSBOX_CONTENT_STORE; default: the deployment file's contentStore]")
      .option("--input-uri <uri>", "send the input by reference at this URI, which you host (https, ipfs, or file/http on a devnet): it must serve the canonical bytes of --input (not fetched here)")
      .option("--by-reference", "send the input by reference even when it would fit inline (published to the content store unless --input-uri is given)")
      .option("--mode <mode>", "verification mode: optimistic, quorum or none", "optimistic")
      .option("--fee <tokens>", "fee in tokens (default: the least the chain accepts: the protocol's and the model's minimum, and for optimistic the fee that funds the job's expected audit)")
      .option("--audit-rate <bps>", "optimistic only: buy an audit rate above the model's, in basis points (up to the registry's cap, 2000); the least fee rises with it")
      .option("--version <n>", "model version (default: the latest)")
      .option("--deadline <seconds>", "seconds from now by which a final result is wanted", "3600")
      .option("--wait", "wait until the job is Finalized or Refunded and print its result")
      .option("--wait-timeout <seconds>", "give up waiting after this long", "900")
      .addHelpText("after", `\n${REQUEST_INPUT_HELP}\n`),
  ).action((o: RequestOptions, cmd: Command) => requestJob(io, flagsOf(cmd), o));
  withOptions(job.command("status <id>").description("print a job's state (JSON)")).action((id: string, _o, cmd: Command) => jobStatus(io, flagsOf(cmd), id));
  withOptions(job.command("result <id>").description("print a finalized job's outputs (JSON tensors)")).action((id: string, _o, cmd: Command) => jobResult(io, flagsOf(cmd), id));
  withOptions(
    job
      .command("verify <id>")
      .description(
        `re-run a job locally (onnxruntime-node) on the registered model and the job's input, both hash-checked, and compare with the posted result under the tolerance the job pinned; prints a JSON report. Exit 0: within tolerance; 1: not within tolerance; ${VERIFY_CANNOT_CHECK}: cannot check (no result yet, unknown job, model or input unreadable)`,
      ),
  ).action((id: string, _o, cmd: Command) => withClient(io, flagsOf(cmd), false, (client) => verifyJob(io, client, id)));
  const referee = program.command("referee").description("refereed disputes (issue 15): check a model before opting in to it");
  referee
    .command("inspect <model.onnx>")
    .description("compile an ONNX model into its refereed program (offline) and print its program hash, steps hash and steps (JSON); a model that cannot be refereed fails with the reason")
    .action((file: string) => inspectCommand(file, io.stdout));
  referee
    .command("zoo <name>")
    .description(`write a built-in refereeable model (${Object.keys(ZOO).join(", ")}) as an ONNX file`)
    .option("--out <file>", "where to write the model")
    .action((name: string, o: { out?: string }) => zooCommand(name, o.out, io.stdout));
  withOptions(
    program.command("explorer").description("index the deployment's logs into SQLite and serve the web explorer and its JSON API until SIGINT/SIGTERM"),
    ["rpc", "deployment", "dataDir", "confirmations", "maxLogRange", "pollIntervalMs", "allowPrivateUris", "ipfsGateway", "logLevel"],
  )
    .option("--port <n>", "port of the explorer's pages and API (0 picks a free one)", String(DEFAULT_EXPLORER_PORT))
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option("--public-rpc <url>", "JSON-RPC URL the visitors' browsers read the chain through (default: --rpc)")
    .option("--db <file>", "the index's SQLite file (default: <data-dir>/explorer-<chainId>-<jobRegistry>.sqlite)")
    .option("--allow-file-uris", "relay file:// URIs the chain names (a devnet's models; anyone can register one naming a file of this machine: devnets only)")
    .action((o: ExplorerFlags, cmd: Command) =>
      withSession(io, flagsOf(cmd), false, async (s) => {
        const { signal, release } = stopSignal(io);
        try {
          const c = s.config;
          const session = { provider: s.provider, deployment: s.deployment, rpc: c.rpc, dataDir: c.dataDir, confirmations: c.confirmations, maxLogRange: c.maxLogRange, pollIntervalMs: c.pollIntervalMs, allowPrivateUris: c.allowPrivateUris, ipfsGateway: c.ipfsGateway };
          await runExplorer(session, o, (line) => io.stdout(`${line}\n`), signal);
        } finally {
          release();
        }
      }),
    );
  return program;
}

function withOptions(cmd: Command, names: OptionName[] = CONNECTION_OPTIONS): Command {
  for (const name of names) {
    const def = OPTIONS[name].default;
    cmd.option(`${flagName(name)} <value>`, `${OPTIONS[name].description} [${envName(name)}; default ${def === undefined ? "not set" : String(def)}]`);
  }
  return cmd.option("--config <file>", "JSON file of options [GLASSBOX_CONFIG]");
}

function flagsOf(cmd: Command): Flags & { config?: string } {
  const opts = cmd.opts<Record<string, unknown>>();
  const flags: Flags & { config?: string } = {};
  for (const name of OPTION_NAMES) if (typeof opts[name] === "string") flags[name] = opts[name] as string;
  if (typeof opts.config === "string") flags.config = opts.config;
  return flags;
}

// ---- sessions: config, key, deployment, provider, contracts ----

interface Session {
  config: GlassboxConfig;
  deployment: Deployment;
  provider: Provider;
  signer: Signer | undefined;
  token: GlassboxToken;
  models: ModelRegistry;
  stakes: StakeManager;
  jobs: JobRegistry;
  quorum: QuorumManager;
  vault: PaymentVault;
}

async function withSession<T>(io: CliIo, flags: Flags & { config?: string }, needKey: boolean, fn: (s: Session) => Promise<T>): Promise<T> {
  const file = flags.config ?? io.env.GLASSBOX_CONFIG;
  const config = loadConfig({ file: file === "" ? undefined : file, env: io.env, flags });
  const wallet = needKey ? await loadWallet(config, io.env) : undefined;
  const deployment = readDeployment(config.deployment);
  const owned = io.provider ? undefined : await connect(config.rpc, io.retry);
  const provider = io.provider ?? (owned as JsonRpcProvider);
  try {
    await checkChain(deployment, provider, config.deployment);
    const signer = wallet?.connect(provider);
    const runner: ContractRunner = signer ?? provider;
    const c = deployment.contracts;
    const session: Session = {
      config,
      deployment,
      provider,
      signer,
      token: GlassboxToken__factory.connect(c.token, runner),
      models: ModelRegistry__factory.connect(c.modelRegistry, runner),
      stakes: StakeManager__factory.connect(c.stakeManager, runner),
      jobs: JobRegistry__factory.connect(c.jobRegistry, runner),
      quorum: QuorumManager__factory.connect(c.quorumManager, runner),
      vault: PaymentVault__factory.connect(c.paymentVault, runner),
    };
    return await fn(session);
  } finally {
    owned?.destroy();
  }
}

/**
 * Probes the endpoint with eth_chainId (transient failures tried again with backoff), so an
 * unreachable RPC is one clear error instead of ethers' endless network detection, then returns a
 * provider pinned to that chain whose reads and undelivered sends are tried again the same way.
 */
async function connect(rpc: string, retry: Partial<RetryOptions> | undefined): Promise<JsonRpcProvider> {
  const chainId = await retryTransient(rpc, () => probeChainId(rpc), retry);
  return pinnedJsonRpcProvider(rpc, Network.from(chainId), { retry: retry ?? {} });
}

async function probeChainId(rpc: string): Promise<bigint> {
  let res: Response;
  try {
    res = await fetch(rpc, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(RPC_PROBE_TIMEOUT_MS),
    });
  } catch (err) {
    if (transientReason(err) !== undefined) throw err; // tried again by connect()
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`cannot reach the RPC endpoint ${rpc} (${why}); check --rpc / ${envName("rpc")}`);
  }
  if (!res.ok) throw Object.assign(new CliError(`the RPC endpoint ${rpc} answered eth_chainId with HTTP ${res.status}; check --rpc / ${envName("rpc")}`), { status: res.status });
  const body = (await res.json().catch(() => ({}))) as { result?: unknown };
  if (typeof body.result !== "string") throw new CliError(`the RPC endpoint ${rpc} did not answer eth_chainId with a chain id; check that --rpc / ${envName("rpc")} is a JSON-RPC endpoint`);
  return BigInt(body.result);
}

/** A session and its GlassboxClient (reads file:// URIs, through --ipfs-gateway, under --max-input-bytes). */
async function withClient<T>(io: CliIo, flags: Flags & { config?: string }, needKey: boolean, fn: (client: GlassboxClient, s: Session) => Promise<T>): Promise<T> {
  return withSession(io, flags, needKey, async (s) => fn(await clientOf(s), s));
}

function clientOf(s: Session): Promise<GlassboxClient> {
  return GlassboxClient.connect({ deployment: s.deployment }, s.signer ?? s.provider, {
    fetch: fetchWithFiles,
    ipfsGateway: s.config.ipfsGateway,
    maxFetchBytes: s.config.maxInputBytes,
  });
}

function signerOf(s: Session): Signer {
  if (!s.signer) throw new CliError("this command needs a key");
  return s.signer;
}

// ---- node ----

async function nodeStart(io: CliIo, flags: Flags): Promise<void> {
  await withSession(io, flags, true, async (s) => {
    const { config, deployment } = s;
    const { node, ops } = createNode(config, deployment, { signer: signerOf(s), logger: io.logger, strategy: io.strategy });
    const { signal, release } = stopSignal(io);
    try {
      await ops?.start();
      await node.init();
      io.stdout(`node ${node.address} serving as ${config.roles} on chain ${deployment.chainId} (${deployment.network}); stop with Ctrl-C\n`);
      await node.run(signal);
    } finally {
      release();
      await node.close();
      await ops?.stop();
    }
    io.stdout("node stopped\n");
  });
}

/** `io.signal`, or one that aborts on SIGINT/SIGTERM (the running iteration finishes first). */
function stopSignal(io: CliIo): { signal: AbortSignal; release(): void } {
  if (io.signal) return { signal: io.signal, release: () => undefined };
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return {
    signal: abort.signal,
    release: () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    },
  };
}

function roleIndex(role: string): Role {
  const i = (ROLES as readonly string[]).indexOf(role);
  if (i < 0) throw new CliError(`role "${role}" is not one of ${ROLES.join(", ")}`);
  return i as Role; // ROLES is in Role's order
}

/** The largest uint96: fees and fee floors are uint96 in the contracts. */
const MAX_UINT96 = 2n ** 96n - 1n;

async function tokenAmount(s: Session, amount: string, what: string, max?: bigint): Promise<bigint> {
  const decimals = await s.token.decimals();
  let value: bigint;
  try {
    value = parseUnits(amount, decimals);
  } catch {
    throw new CliError(`${what} "${amount}" is not a token amount (a decimal number such as 200 or 0.5)`);
  }
  if (value <= 0n) throw new CliError(`${what} must be more than 0`);
  if (max !== undefined && value > max) throw new CliError(`${what} ${amount} is above the largest amount the contracts take (${formatUnits(max, decimals)})`);
  return value;
}

async function stake(io: CliIo, flags: Flags, role: string, amount: string): Promise<void> {
  const r = roleIndex(role);
  await withClient(io, flags, true, async (client, s) => {
    const value = await tokenAmount(s, amount, "amount");
    const me = await client.address();
    await client.stake(r, value);
    const account = await s.stakes.accountOf(me, r);
    io.stdout(`staked ${amount} as ${role}; active stake ${await fmt(s, account.active)}\n`);
  });
}

async function unstake(io: CliIo, flags: Flags, role: string, amount: string): Promise<void> {
  const r = roleIndex(role);
  await withClient(io, flags, true, async (client, s) => {
    const value = await tokenAmount(s, amount, "amount");
    await client.unstake(r, value);
    const account = await s.stakes.accountOf(await client.address(), r);
    io.stdout(`unbonding ${await fmt(s, account.unbonding)} as ${role}; withdrawable at ${new Date(Number(account.releaseAt) * 1000).toISOString()}\n`);
  });
}

async function withdraw(io: CliIo, flags: Flags, role: string): Promise<void> {
  const r = roleIndex(role);
  await withClient(io, flags, true, async (client, s) => {
    const receipt = await client.withdraw(r);
    let amount = 0n;
    for (const log of receipt.logs) {
      const parsed = s.stakes.interface.parseLog(log);
      if (parsed?.name === "Withdrawn") amount = parsed.args.amount as bigint;
    }
    io.stdout(`withdrew ${await fmt(s, amount)} as ${role}\n`);
  });
}

/** The executor role's index (contracts/types/Types.sol Role). */
const EXECUTOR = Role.EXECUTOR;

/** The models `node` is opted in to, ascending. */
function modelList(models: bigint[]): string {
  return models.length === 0 ? "none" : models.join(", ");
}

/** When the next stake epoch starts (chain time), and how far that is from the latest block. */
async function nextEpochStart(s: Session): Promise<string> {
  const [epoch, length, block] = await Promise.all([s.stakes.currentEpoch(), s.stakes.EPOCH_LENGTH(), s.provider.getBlock("latest")]);
  const start = (Number(epoch) + 1) * Number(length);
  const now = block?.timestamp ?? Math.floor(Date.now() / 1000);
  return `${new Date(start * 1000).toISOString()} (chain time, in ${Math.max(0, start - now)} s)`;
}

async function optIn(io: CliIo, flags: Flags, raw: string): Promise<void> {
  await withClient(io, flags, true, async (client, s) => {
    const id = await existingModel(s, raw);
    const { executor } = await client.account();
    if (executor.models.includes(id)) throw new CliError(`already opted in to model ${id} (opted in to: ${modelList(executor.models)}); nothing to do`);
    const max = await s.stakes.MAX_MODELS_PER_EXECUTOR();
    if (BigInt(executor.models.length) >= max) {
      throw new CliError(`already opted in to ${executor.models.length} models (${modelList(executor.models)}), the most an executor may: leave one first with glassbox node opt-out --model <id>`);
    }
    // A refereeable version is checked before anything is sent: this node must compile its ONNX to the declared hashes.
    for (const { version, program } of await reproduceDeclaredPrograms(client, id)) {
      io.stdout(`model ${id} version ${version} is refereeable: this node compiles it to the declared program ${program.programHash} (steps hash ${program.stepsHash}, ${program.steps} steps)\n`);
    }
    await client.optIn(id);
    const after = (await client.account()).executor;
    io.stdout(`opted in to model ${id}; drawn for its jobs from the next stake epoch, which starts at ${await nextEpochStart(s)}; opted in to: ${modelList(after.models)}\n`);
    if (!after.eligible) {
      const minimum = await s.stakes.minStake(EXECUTOR);
      const why = after.jailed
        ? `it is jailed until ${new Date(after.jailedUntil * 1000).toISOString()} (chain time); then StakeManager.unjail, with its executor stake back at the minimum ${await fmt(s, minimum)}`
        : `its active executor stake ${await fmt(s, after.active)} is below the minimum ${await fmt(s, minimum)}; stake with glassbox node stake executor <amount>`;
      io.stdout(`note: this key is not drawn yet: ${why}\n`);
    }
  });
}

async function optOut(io: CliIo, flags: Flags, raw: string): Promise<void> {
  // No registry check: a model opted in to is left whatever the registry says of it.
  const id = idOption(raw, "model id");
  await withClient(io, flags, true, async (client, s) => {
    const { models } = (await client.account()).executor;
    if (!models.includes(id)) throw new CliError(`not opted in to model ${id} (opted in to: ${modelList(models)}); nothing to do`);
    await client.optOut(id);
    // Draws armed in this epoch read its snapshot, which still holds the node, up to the end of the next epoch.
    const [epoch, length] = await Promise.all([s.stakes.currentEpoch(), s.stakes.EPOCH_LENGTH()]);
    const lastDraw = new Date((Number(epoch) + 2) * Number(length) * 1000).toISOString();
    io.stdout(
      `opted out of model ${id} from the next stake epoch, which starts at ${await nextEpochStart(s)}; draws armed before then can still give you its jobs until ${lastDraw} (chain time): keep serving them until then; opted in to: ${modelList((await client.account()).executor.models)}\n`,
    );
  });
}

async function status(io: CliIo, flags: Flags): Promise<void> {
  await withClient(io, flags, true, async (client, s) => {
    const account = await client.account();
    const role = async (r: RoleStake) => ({
      active: await fmt(s, r.active),
      locked: await fmt(s, r.locked),
      unbonding: await fmt(s, r.unbonding),
      releaseAt: r.releaseAt,
      jailed: r.jailed,
      eligible: r.eligible,
    });
    printJson(io, {
      address: account.address,
      chainId: s.deployment.chainId,
      ether: formatUnits(account.ether, 18),
      tokens: await fmt(s, account.tokens),
      credit: await fmt(s, account.credit),
      // An executor is drawn only for the models it opted in to.
      executor: { ...(await role(account.executor)), models: account.executor.models.map(Number) },
      verifier: await role(account.verifier),
    });
  });
}

// ---- model ----

interface RegisterOptions {
  uri?: string;
  modes: string;
  auditRate: string;
  absTol: string;
  relTol: string;
  exact?: boolean;
  minFee: string;
  maxInput: string;
  runtime: string;
  schema?: string;
  refereeable?: boolean;
}

async function registerModel(io: CliIo, flags: Flags, file: string, o: RegisterOptions): Promise<void> {
  await withSession(io, flags, true, async (s) => {
    const { bytes, digest, cachedUri } = cacheModelFile(file, s.config.dataDir);
    const uri = o.uri ?? cachedUri;
    if (o.refereeable && o.exact !== true) throw new CliError("--refereeable needs --exact: the referee recomputes integers bit for bit, so only exact models can be refereed");
    // Compiled before anything is sent: a file that cannot be refereed registers nothing.
    const program = o.refereeable ? programOfModel(bytes, file) : undefined;
    const tolerance = (x: string, what: string) => {
      const v = Number(x);
      if (!Number.isFinite(v) || v < 0) throw new CliError(`${what} "${x}" is not a tolerance (a number >= 0)`);
      return BigInt(Math.round(v * TOLERANCE_SCALE));
    };
    const allowedModes = modeMask(o.modes);
    const optimistic = (allowedModes & (1 << MODES.indexOf("optimistic"))) !== 0;
    if ((allowedModes & (1 << MODES.indexOf("quorum"))) !== 0 && o.exact !== true) {
      throw new CliError("--modes quorum needs --exact: QUORUM compares the executors' outputs bit for bit, so only exact models may use it");
    }
    // The registry's own bounds (MIN_AUDIT_RATE_BPS is set per deployment), checked before sending.
    const [minAudit, maxAudit] = (await Promise.all([s.models.MIN_AUDIT_RATE_BPS(), s.models.MAX_AUDIT_RATE_BPS()])).map(Number);
    const policy = {
      allowedModes,
      exact: o.exact === true,
      auditRateBps: intOption(o.auditRate, "--audit-rate", optimistic ? minAudit : 0, maxAudit),
      maxInputBytes: intOption(o.maxInput, "--max-input", 1, MAX_MODEL_INPUT_BYTES),
      runtime: intOption(o.runtime, "--runtime", 0, Number(await s.models.MAX_RUNTIME())),
      minFee: await tokenAmountOrZero(s, o.minFee, "--min-fee", MAX_UINT96),
      absTolerance: o.exact ? 0n : tolerance(o.absTol, "--abs-tol"),
      relTolerance: o.exact ? 0n : tolerance(o.relTol, "--rel-tol"),
      schemaHash: o.schema ? keccak256(readInputFile(o.schema, "schema file")) /* IModelRegistry: keccak256 of the schema document */ : "0x" + "00".repeat(32),
    };
    const client = await clientOf(s);
    const { modelId } = await client.registerModel({ digest, uri }, policy);
    if (program) {
      try {
        await client.declareProgram(modelId, 1, program);
      } catch (err) {
        throw new CliError(`model ${modelId} is registered, but declaring its program failed (${err instanceof Error ? err.message : String(err)}): retry with glassbox model program declare ${modelId} 1 ${file}`);
      }
    }
    io.stdout(`${modelId}\n`);
  });
}

async function tokenAmountOrZero(s: Session, amount: string, what: string, max?: bigint): Promise<bigint> {
  if (/^0*(\.0*)?$/.test(amount)) return 0n;
  return tokenAmount(s, amount, what, max);
}

async function existingModel(s: Session, raw: string): Promise<bigint> {
  const id = idOption(raw, "model id");
  const count = await s.models.modelCount();
  if (id > count) throw new CliError(`model ${id} does not exist (the registry has ${count} model${count === 1n ? "" : "s"})`);
  return id;
}

async function modelInfo(io: CliIo, flags: Flags, raw: string): Promise<void> {
  await withClient(io, flags, false, async (client, s) => {
    const id = await existingModel(s, raw);
    const { owner, policy, versions: count } = await client.model(id);
    const versions = [];
    for (let v = 1; v <= count; v++) versions.push({ ...(await client.version(id, v)), program: (await client.program(id, v)) ?? null });
    printJson(io, {
      id: Number(id),
      owner,
      versions,
      policy: {
        modes: MODES.filter((_, i) => (Number(policy.allowedModes) & (1 << i)) !== 0),
        exact: policy.exact,
        auditRateBps: Number(policy.auditRateBps),
        maxInputBytes: Number(policy.maxInputBytes),
        runtimeSeconds: Number(policy.runtime),
        minFee: await fmt(s, policy.minFee),
        absTolerance: Number(policy.absTolerance) / TOLERANCE_SCALE,
        relTolerance: Number(policy.relTolerance) / TOLERANCE_SCALE,
        schemaHash: policy.schemaHash,
      },
    });
  });
}

async function declareProgramCommand(io: CliIo, client: GlassboxClient, rawId: string, rawVersion: string, file: string): Promise<void> {
  const modelId = idOption(rawId, "model id");
  const version = intOption(rawVersion, "version", 1, 65_535);
  const program = await declareProgramOf(client, modelId, version, readInputFile(file, "model file"), file);
  printJson(io, { modelId: Number(modelId), version, ...program });
}

// ---- job ----

/** How `job request` sends its input, with the limits quoted from limits.ts. */
const REQUEST_INPUT_HELP = [
  `How the input travels: --input is encoded to its canonical bytes (the tensor codec). Up to ${MAX_INLINE_INPUT_BYTES} bytes they go`,
  `inline. Larger (or with --by-reference) they go by reference: the CLI uploads them to the content store (--content-store,`,
  `GLASSBOX_CONTENT_STORE, or the deployment file's contentStore; the devnet runs one) under their keccak256 and requests`,
  `with that hash, the store's URI and the size. With --input-uri you host the bytes yourself: the CLI hashes the canonical`,
  `bytes of --input and requests with your URI, which must serve exactly those bytes until the job is final. See docs/INPUTS.md.`,
  ``,
  inputLimitsText(),
].join("\n");

interface RequestOptions {
  model: string;
  input: string;
  contentStore?: string;
  inputUri?: string;
  byReference?: boolean;
  mode: string;
  fee?: string;
  auditRate?: string;
  version?: string;
  deadline: string;
  wait?: boolean;
  waitTimeout: string;
}

/**
 * `job request`: the options are checked here, in their own terms (--fee, --audit-rate, ...), before
 * anything is sent; the SDK's `request` then places the input, approves the fee and sends.
 */
async function requestJob(io: CliIo, flags: Flags, o: RequestOptions): Promise<void> {
  const mode = (["none", "optimistic", "quorum"] as const).indexOf(o.mode as "none");
  if (mode < 0) throw new CliError(`--mode "${o.mode}" is not allowed; allowed: optimistic, quorum, none`);
  const input = encodeInput(o.input);
  if (o.inputUri !== undefined && o.contentStore !== undefined) throw new CliError("--input-uri and --content-store exclude each other: --input-uri names where you host the input, so nothing is published");
  if (o.inputUri !== undefined) checkInputUri(o.inputUri);
  await withClient(io, flags, true, async (client, s) => {
    const modelId = await existingModel(s, o.model);
    const { versions, policy } = await client.model(modelId);
    if ((policy.allowedModes & (1 << mode)) === 0) throw new CliError(`model ${modelId} does not allow mode ${o.mode}`);
    if (input.length > policy.maxInputBytes) throw new CliError(`input ${o.input} is ${input.length} bytes; model ${modelId} accepts at most ${policy.maxInputBytes} (its maxInputBytes policy: glassbox model info ${modelId})`);
    const version = o.version === undefined ? versions : intOption(o.version, "--version", 1, versions);
    const auditRateBps = o.auditRate === undefined ? 0 : intOption(o.auditRate, "--audit-rate", 0, Number(await s.models.MAX_AUDIT_RATE_BPS()));
    if (auditRateBps !== 0 && o.mode !== "optimistic") throw new CliError("--audit-rate applies to --mode optimistic only: the other modes are never audited");
    const least = await leastFee(s.jobs, s.models, modelId, mode, auditRateBps);
    const fee = o.fee === undefined ? least.fee : await tokenAmount(s, o.fee, "--fee", MAX_UINT96);
    if (fee < least.fee) {
      const why = least.fee === least.auditFloor ? "the fee that funds the job's expected audit at its audit rate" : "the protocol's and the model's minimum fee";
      throw new CliError(`--fee ${o.fee} is below ${await fmt(s, least.fee)} tokens, ${why}: raise --fee or leave it out`);
    }
    const contentStore = o.inputUri === undefined ? contentStoreFor(io, s, o, input) : undefined;
    const deadline = intOption(o.deadline, "--deadline", 60, 30 * 24 * 3600);
    const requested = await client.request({ model: modelId, version, input, mode: mode as Mode, fee, deadline, auditRateBps, contentStore, inputUri: o.inputUri, byReference: o.byReference === true });
    if (o.inputUri !== undefined) {
      io.stderr(`input: ${input.length} bytes by reference at ${o.inputUri} (keccak256 ${keccak256(input)}); keep serving them there until the job is final\n`);
    } else if (requested.inputUri !== undefined) {
      io.stderr(`input: ${input.length} bytes published to ${requested.inputUri}\n`);
    }
    io.stdout(`${requested.jobId}\n`);
    if (o.wait) await waitForJob(io, client, s, requested.jobId, intOption(o.waitTimeout, "--wait-timeout", 1, 30 * 24 * 3600) * 1000);
  });
}

/**
 * The content store an input goes to (--content-store, else GLASSBOX_CONTENT_STORE, else the
 * deployment file's); refuses, before anything is sent, an input that must go by reference when
 * there is none.
 */
function contentStoreFor(io: CliIo, s: Session, o: RequestOptions, input: Uint8Array): string | undefined {
  const store = o.contentStore ?? nonEmptyOr(io.env.GLASSBOX_CONTENT_STORE) ?? s.deployment.contentStore;
  if (store === undefined && (o.byReference || input.length > MAX_INLINE_INPUT_BYTES)) {
    const why = o.byReference ? "--by-reference was given" : `input ${o.input} is ${input.length} bytes, above the ${MAX_INLINE_INPUT_BYTES} a request carries inline`;
    throw new CliError(
      `${why}, and no content store is set: pass --content-store <url> (or GLASSBOX_CONTENT_STORE; ${s.config.deployment} names none), or host the canonical bytes yourself and pass --input-uri <https or ipfs URI> (see docs/INPUTS.md)`,
    );
  }
  return store;
}

/** Refuses an --input-uri no node can fetch, before anything is sent. */
function checkInputUri(uri: string): void {
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined || !["https", "http", "ipfs", "file"].includes(scheme)) {
    throw new CliError(`--input-uri "${uri.slice(0, 80)}": nodes fetch https://, ipfs:// (and, on a devnet, http:// and file://) URIs only`);
  }
}

function nonEmptyOr(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function encodeInput(file: string): Uint8Array {
  const tensors = parseTensorJson(Buffer.from(readInputFile(file, "input file")).toString("utf8"), file);
  try {
    return encodeTensors(tensors);
  } catch (err) {
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
}

/** `--wait`: the SDK's `wait` follows the job's events; a finalized job's result is printed. */
async function waitForJob(io: CliIo, client: GlassboxClient, s: Session, jobId: bigint, timeoutMs: number): Promise<void> {
  let final: FinalState;
  try {
    final = await client.wait(jobId, { timeoutMs, pollMs: s.config.pollIntervalMs });
  } catch (err) {
    if (!(err instanceof GlassboxError && err.code === "TIMEOUT")) throw err;
    const { status } = await client.job(jobId);
    throw new CliError(`job ${jobId} is still ${status} after ${timeoutMs / 1000} s; check later with: glassbox job status ${jobId}`);
  }
  if (final.status === "Refunded") throw new CliError(`job ${jobId} was refunded (${final.reason})`);
  await printResult(io, client, { id: jobId, status: final.status });
}

/** Job `raw` as the chain holds it; a CliError when there is no such job. */
async function existingJob(client: GlassboxClient, raw: string): Promise<JobInfo> {
  const id = idOption(raw, "job id");
  try {
    return await client.job(id);
  } catch (err) {
    if (err instanceof GlassboxError && err.code === "UNKNOWN_JOB") throw new CliError(err.message.replace(/: check the id.*$/, ""));
    throw err;
  }
}

async function jobStatus(io: CliIo, flags: Flags, raw: string): Promise<void> {
  await withClient(io, flags, false, async (client, s) => {
    const job = await existingJob(client, raw);
    const out: Record<string, unknown> = {
      id: Number(job.id),
      status: job.status,
      mode: job.mode.toLowerCase(),
      model: Number(job.model),
      version: job.version,
      requester: job.requester,
      executor: job.executor,
      fee: await fmt(s, job.fee),
      deadline: job.deadline,
      attempts: job.attempts,
      invalidClaim: job.invalidClaim,
    };
    if (job.status === "Refunded") out.refundReason = job.refundReason ?? "reason unknown";
    printJson(io, out);
  });
}

async function jobResult(io: CliIo, flags: Flags, raw: string): Promise<void> {
  await withClient(io, flags, false, async (client) => printResult(io, client, await existingJob(client, raw)));
}

/** A finalized job's outputs as JSON tensors (by-reference outputs fetched and keccak-checked by the SDK). */
async function printResult(io: CliIo, client: GlassboxClient, job: Pick<JobInfo, "id" | "status">): Promise<void> {
  const { id: jobId, status } = job;
  if (status !== "Finalized") throw new CliError(`job ${jobId} has no result (status ${status})`);
  const result = await client.result(jobId);
  if (result.kind === "invalid") throw new CliError(`job ${jobId}: the executor found the input invalid (${result.reason})`);
  printJson(io, tensorsToJson(result.tensors));
}

// ---- helpers ----

async function fmt(s: Session, amount: bigint): Promise<string> {
  return formatUnits(amount, await s.token.decimals());
}

function readInputFile(file: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`);
}

/** Entry point of the `glassbox` command (bin/glassbox.js runs the compiled file; scripts/glassbox.js in a checkout). */
export async function main(argv: string[] = process.argv.slice(2), extra: Partial<CliIo> = {}): Promise<void> {
  const code = await runCli(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    ...extra,
  });
  process.exitCode = code;
}
