/**
 * The CLI commands that are parse-and-print over GlassboxClient (issue 13 point 4):
 *
 *   model version publish <modelId> <file.onnx> [--uri <uri>]   prints the new version number
 *   model version deprecate <modelId> <version>
 *   model policy set <modelId> [policy options]                  prints the new policy version
 *   job verify <id>                                             prints a JSON report; exit 0 within
 *                                                               tolerance, 1 not, 2 cannot check
 *   node claim                                                  prints the amount claimed
 *
 * Each function takes a connected client and the parsed options, calls the SDK, and prints; it
 * sends nothing of its own. A GlassboxError becomes one line saying what to do next (cliLineOf).
 */
import fs from "node:fs";
import path from "node:path";
import { formatUnits, keccak256, parseUnits, sha256 } from "ethers";
import { GlassboxClient, GlassboxError, type ModelPolicy } from "./sdk";
import { onnxModelRunner } from "./sdkNode";
import { ModelStore } from "./store/modelStore";
import { MAX_MODEL_INPUT_BYTES } from "./limits";
import { CliError } from "./cliError";
export { fetchWithFiles } from "./content/fileFetch";
import { programOfModel } from "./cliProgram";
import { MODE_NAMES } from "./sdk/protocol";
import { TOLERANCE_SCALE } from "./verify/tolerance";

/** The largest uint96: fee floors are uint96 in the contracts. */
const MAX_UINT96 = 2n ** 96n - 1n;
/** Exit code of `job verify` when it cannot check (no result yet, unknown job, model unreadable). */
export const VERIFY_CANNOT_CHECK = 2;

export interface Printer {
  stdout(text: string): void;
}

// ---- errors ----

/** What the CLI user does next, per GlassboxError code (the SDK's own hints name SDK calls). */
const NEXT_STEP: Partial<Record<GlassboxError["code"], string>> = {
  READ_ONLY: "this command sends a transaction: give it a key (GLASSBOX_PRIVATE_KEY, --key or --keystore)",
  UNKNOWN_MODEL: "check the id with glassbox model info <id>, or register the model with glassbox model register <file.onnx>",
  UNKNOWN_JOB: "check the id, and that --deployment names the deployment the job was requested on",
  NO_RESULT: "wait until the job has a result (glassbox job status <id>), then run this again",
  HASH_MISMATCH: "the bytes at that URI are not what the chain committed to: do not trust them; report it to the model owner or dispute the job",
  FETCH_FAILED: "check that the URI is reachable from here (and --ipfs-gateway for ipfs://), then run this again",
  TOO_LARGE: "raise --max-input-bytes if you trust the source, then run this again",
  TIMEOUT: "run it again later, or follow the job with glassbox job status <id>",
  RUNNER_FAILED: "check that onnxruntime-node runs this model on this machine",
  RPC_FAILED: "check the RPC endpoint (--rpc) and the arguments, then run it again",
};

/**
 * One line for a GlassboxError: the SDK's statement of what went wrong (its text before the first
 * ": ", where the SDK's own advice begins) and the CLI's next step. A decoded revert keeps the
 * SDK's whole message: its hint is the protocol's own.
 */
export function cliLineOf(err: GlassboxError): string {
  const next = NEXT_STEP[err.code];
  if (next === undefined) return err.message;
  const cut = err.message.indexOf(": ");
  const what = cut < 0 ? err.message : err.message.slice(0, cut);
  return `${what}: ${next}`;
}

// ---- option parsing ----

export function intOption(raw: string, what: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${what} "${raw}" must be an integer from ${min} to ${max}`);
  return n;
}

export function idOption(raw: string, what: string): bigint {
  if (!/^\d+$/.test(raw) || BigInt(raw) === 0n) throw new CliError(`${what} "${raw}" is not an id (a positive integer)`);
  return BigInt(raw);
}

/** The allowed-modes bit mask of a comma-separated list of mode names. */
export function modeMask(list: string): number {
  let mask = 0;
  for (const raw of list.split(",")) {
    const i = (MODE_NAMES as readonly string[]).indexOf(raw.trim().toLowerCase());
    if (i < 0) throw new CliError(`--modes: "${raw}" is not a mode; allowed: ${MODE_NAMES.join(", ")}`);
    mask |= 1 << i;
  }
  return mask;
}

function toleranceOption(raw: string, what: string): bigint {
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new CliError(`${what} "${raw}" is not a tolerance (a number >= 0)`);
  return BigInt(Math.round(v * Number(TOLERANCE_SCALE)));
}

function feeFloorOption(raw: string, decimals: number): bigint {
  let value: bigint;
  try {
    value = parseUnits(raw, decimals);
  } catch {
    throw new CliError(`--min-fee "${raw}" is not a token amount (a decimal number such as 200 or 0.5)`);
  }
  if (value < 0n || value > MAX_UINT96) throw new CliError(`--min-fee ${raw} must be from 0 to ${formatUnits(MAX_UINT96, decimals)}`);
  return value;
}

/** The policy options of `model policy set`; each one left out keeps the current value. */
export interface PolicyOptions {
  modes?: string;
  auditRate?: string;
  absTol?: string;
  relTol?: string;
  exact?: boolean;
  inexact?: boolean;
  minFee?: string;
  maxInput?: string;
  runtime?: string;
  schema?: string;
}

/**
 * `current` with the options given applied. The registry's own bounds (audit rate, runtime) are
 * left to the chain, whose decoded refusal names them.
 */
export function policyWith(current: ModelPolicy, o: PolicyOptions, decimals: number): ModelPolicy {
  if (o.exact === true && o.inexact === true) throw new CliError("--exact and --inexact exclude each other: pick one");
  const exact = o.exact === true ? true : o.inexact === true ? false : current.exact;
  const allowedModes = o.modes === undefined ? current.allowedModes : modeMask(o.modes);
  if ((allowedModes & (1 << MODE_NAMES.indexOf("quorum"))) !== 0 && !exact) {
    throw new CliError("quorum needs an exact policy (--exact): QUORUM compares the executors' outputs bit for bit");
  }
  if (exact && (o.absTol !== undefined || o.relTol !== undefined)) throw new CliError("--abs-tol and --rel-tol do not apply to an exact policy: its tolerances are 0");
  return {
    allowedModes,
    exact,
    auditRateBps: o.auditRate === undefined ? current.auditRateBps : intOption(o.auditRate, "--audit-rate", 0, 10_000),
    maxInputBytes: o.maxInput === undefined ? current.maxInputBytes : intOption(o.maxInput, "--max-input", 1, MAX_MODEL_INPUT_BYTES),
    runtime: o.runtime === undefined ? current.runtime : intOption(o.runtime, "--runtime", 0, 2 ** 32 - 1),
    minFee: o.minFee === undefined ? current.minFee : feeFloorOption(o.minFee, decimals),
    absTolerance: exact ? 0n : o.absTol === undefined ? current.absTolerance : toleranceOption(o.absTol, "--abs-tol"),
    relTolerance: exact ? 0n : o.relTol === undefined ? current.relTolerance : toleranceOption(o.relTol, "--rel-tol"),
    schemaHash: o.schema === undefined ? current.schemaHash : keccak256(readFile(o.schema, "schema file")),
  };
}

// ---- files ----

export function readFile(file: string, what: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/**
 * The model file's bytes and SHA-256, copied into `<dataDir>/models` (as `model register` does);
 * the default URI is the file:// URI of that copy.
 */
export function cacheModelFile(file: string, dataDir: string): { bytes: Uint8Array; digest: string; cachedUri: string } {
  const bytes = readFile(file, "model file");
  const digest = sha256(bytes);
  const cached = new ModelStore(path.join(dataDir, "models")).cachePath(digest);
  if (!fs.existsSync(cached)) {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    const tmp = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, cached); // atomic: readers never see a partial file
  }
  return { bytes, digest, cachedUri: `file://${path.resolve(cached)}` };
}

// ---- commands ----

export async function publishVersion(out: Printer, client: GlassboxClient, rawId: string, file: string, uri: string | undefined, dataDir: string, refereeable = false): Promise<void> {
  const modelId = idOption(rawId, "model id");
  const { bytes, cachedUri } = cacheModelFile(file, dataDir);
  // Compiled before anything is sent: a file that cannot be refereed publishes nothing.
  const program = refereeable ? programOfModel(bytes, file) : undefined;
  const { version } = await client.publishVersion(modelId, { bytes, uri: uri ?? cachedUri });
  if (program) {
    try {
      await client.declareProgram(modelId, version, program);
    } catch (err) {
      throw new CliError(`version ${version} of model ${modelId} is published, but declaring its program failed (${err instanceof Error ? err.message : String(err)}): retry with glassbox model program declare ${modelId} ${version} ${file}`);
    }
  }
  out.stdout(`${version}\n`);
}

export async function deprecateVersion(out: Printer, client: GlassboxClient, rawId: string, rawVersion: string): Promise<void> {
  const modelId = idOption(rawId, "model id");
  const version = intOption(rawVersion, "version", 1, 65_535);
  const { versions } = await client.model(modelId);
  if (version > versions) throw new CliError(`model ${modelId} has no version ${version} (it has ${versions})`);
  await client.deprecateVersion(modelId, version);
  out.stdout(`deprecated version ${version} of model ${modelId}; it takes no new jobs\n`);
}

export async function setPolicy(out: Printer, client: GlassboxClient, rawId: string, o: PolicyOptions): Promise<void> {
  const modelId = idOption(rawId, "model id");
  const { policy } = await client.model(modelId);
  const next = policyWith(policy, o, Number(await client.token.decimals()));
  const { policyVersion } = await client.setPolicy(modelId, next);
  out.stdout(`${policyVersion}\n`);
}

/** `job verify`: prints the report; throws CliError exit 1 when outside tolerance, exit 2 when it cannot check. */
export async function verifyJob(out: Printer, client: GlassboxClient, rawId: string): Promise<void> {
  const jobId = idOption(rawId, "job id");
  let report;
  try {
    report = await client.verify(jobId, onnxModelRunner("cli"));
  } catch (err) {
    if (err instanceof GlassboxError) throw new CliError(`cannot check job ${jobId}: ${cliLineOf(err).replace("<id>", String(jobId))}`, VERIFY_CANNOT_CHECK);
    throw err;
  }
  out.stdout(
    `${JSON.stringify(
      {
        job: Number(jobId),
        withinTolerance: report.withinTolerance,
        ...(report.reason === undefined ? {} : { reason: report.reason }),
        maxAbsDeviation: report.maxAbsDeviation ?? null,
        maxRelDeviation: report.maxRelDeviation ?? null,
        worst: report.worst ?? null,
        policy: report.policy,
        outputHash: report.outputHash,
        recomputedHash: report.recomputedHash,
      },
      null,
      2,
    )}\n`,
  );
  if (!report.withinTolerance) {
    const by = report.maxAbsDeviation === undefined ? "" : ` by up to ${report.maxAbsDeviation} (absolute), ${report.maxRelDeviation} (relative)`;
    throw new CliError(`job ${jobId}'s posted result is NOT within tolerance of the recomputed one${by}: dispute it while its challenge window is open`);
  }
}

export async function claim(out: Printer, client: GlassboxClient): Promise<void> {
  const owed = await client.credit();
  const decimals = Number(await client.token.decimals());
  const me = await client.address();
  if (owed === 0n) {
    out.stdout(`nothing to claim: the payment vault owes ${me} nothing\n`);
    return;
  }
  const { amount } = await client.claim();
  out.stdout(`claimed ${formatUnits(amount, decimals)} tokens to ${me}\n`);
}
