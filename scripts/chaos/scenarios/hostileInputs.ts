/**
 * e. 200 hostile inputs (40 with --quick), generated from a fixed seed, fed through the CLI
 *    (`runCli` in-process, on the devnet's provider) and straight into the contracts: malformed
 *    ONNX files registered as models, models whose registered digest does not match the bytes at
 *    their URI, inputs with wrong names, dtypes and shapes, NaN and infinities, oversized tensors,
 *    undecodable bytes, zero and huge fees, expired and out-of-range deadlines.
 *
 *    Each case lists the outcomes it may have: a one-line CLI error, a named custom revert, a job
 *    refunded as InvalidInput, or (where the input is in fact acceptable, e.g. NaN through an MLP)
 *    a finalized job. Anything else fails the case: a multi-line or unnamed error, a job stuck or
 *    refunded for another reason. At the end the node processes must still be alive and healthy
 *    and the accounting must hold.
 *
 *    An executor is drawn only for the models it opted in to (at most 8), from the next stake epoch
 *    on, and the cases register models as they go. The contract takes an id not yet registered, so
 *    before the first case the executor joins the pools of the next 7 ids the registry will give,
 *    and the chain moves to the next stake epoch while no job exists (the quick run registers 6).
 *    When a case registers an id beyond those, every job so far is first settled (the clock runs,
 *    so no assignment, challenge window or dispute is cut short by a jump), then the executor leaves
 *    those models, joins the next 7 and the chain moves to the next epoch.
 */
import fs from "node:fs";
import path from "node:path";
import { hexlify, ZeroAddress, ZeroHash, type ContractRunner } from "ethers";
import { JobRegistry__factory, ModelRegistry__factory, StakeManager__factory } from "../../../packages/node/src/typechain";
import { decodeRevert, DTYPES, encodeTensors, jobIdOf, Mode, nameOf, RefundReason, runCli, type DType, type ReceiptLike, type TensorMap } from "../../../packages/node/src";
import { mlp as mlpBytes, seededRandom } from "../../../packages/testkit/src/fixtures";
import { startNextStakeEpoch } from "../../devnet/boot";
import { sleep } from "../../devnet/chain";
import { CLIENT_INDEXES, devnetWallet } from "../../devnet/setup";
import { DEADLINE_SECONDS, alive, executorSpec, healthy, verifierSpec, type Devnet } from "../devnet";
import { expectThat, withDevnet, type Scenario } from "../scenario";

export const SEED = 0x6c617373;
const CASES = 200;
const QUICK_CASES = 40;

type Outcome = { kind: "cli-error"; line: string } | { kind: "revert"; name: string } | { kind: "job"; jobId: bigint } | { kind: "accepted"; what: string } | { kind: "bad"; why: string };
type Expected = "cli-error" | "revert" | "invalid" | "finalized" | "accepted";

interface Case {
  n: number;
  label: string;
  expect: Expected[];
  run(h: Harness): Promise<Outcome>;
}

interface Harness {
  d: Devnet;
  dir: string;
  /** The MLP's model id. */
  mlpId: bigint;
  /** Every job the cases have requested so far. */
  jobIds: bigint[];
  cli(argv: string[]): Promise<Outcome>;
  /** A raw requestInference from client 1, with `patch` applied to a valid request. */
  request(patch: Partial<Request>): Promise<Outcome>;
  /** A raw registerModel from client 1. */
  register(digest: string, uri: string): Promise<Outcome>;
  file(name: string, bytes: Uint8Array | string): string;
}

interface Request {
  modelId: bigint;
  version: number;
  mode: number;
  fee: bigint;
  deadline: number;
  input: string;
  inputHash: string;
  inputURI: string;
  inputSize: number;
  callback: string;
  callbackGasLimit: number;
  auditRateBps: number;
}

const OTHER_DTYPES: DType[] = (Object.keys(DTYPES) as DType[]).filter((t) => t !== "float32");

/** The 200 cases in a fixed, seeded order (the quick run takes the first 40: every kind twice). */
export function generateCases(seed = SEED, count = CASES): Case[] {
  const rand = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => int(0, 255));
  const mlpInput = (data: (number | string)[] = Array.from({ length: 8 }, () => rand() * 4 - 2)) => ({ x: { dtype: "float32", shape: [2, 4], data } });
  const kinds: ((n: number) => Case)[] = [
    (n) => {
      const size = pick([0, 1, 7, 64, 300, 2048]);
      const body = bytes(size);
      return {
        n,
        label: `malformed ONNX (${size} random bytes) registered, then a job on it`,
        expect: ["cli-error", "invalid", "revert"],
        run: (h) => registerThenRequest(h, `garbage-${n}.onnx`, body, undefined),
      };
    },
    (n) => {
      const full = mlpBytes();
      const cut = int(1, full.length - 1);
      return { n, label: `ONNX truncated at byte ${cut} of ${full.length}`, expect: ["invalid"], run: (h) => registerThenRequest(h, `truncated-${n}.onnx`, full.slice(0, cut), undefined) };
    },
    (n) => {
      const other = bytes(int(16, 256));
      return {
        n,
        label: "digest of one file registered with the URI of another (the real MLP)",
        expect: ["invalid"],
        run: (h) => registerThenRequest(h, `claimed-${n}.onnx`, other, `file://${h.file(`served-${n}.onnx`, mlpBytes())}`),
      };
    },
    (n) => {
      const name = pick(["y", "X", "input", "x ", "", "\u00e9"]);
      return { n, label: `input tensor named ${JSON.stringify(name)} instead of "x"`, expect: ["invalid", "cli-error"], run: (h) => cliRequest(h, n, JSON.stringify({ [name]: mlpInput().x }), pick(["none", "optimistic"])) };
    },
    (n) => {
      const dtype = pick(OTHER_DTYPES);
      const data = Array.from({ length: 8 }, () => (dtype === "bool" ? pick([true, false]) : int(0, 5)));
      return { n, label: `input "x" of dtype ${dtype}`, expect: ["invalid", "cli-error"], run: (h) => cliRequest(h, n, JSON.stringify({ x: { dtype, shape: [2, 4], data } }), "none") };
    },
    (n) => {
      const shape = pick([[8], [4, 2], [2, 2, 2], [1, 8], [2, 5], [0, 3], [], [1, 1, 1, 8]]);
      const count = shape.reduce((a, b) => a * b, 1);
      const data = Array.from({ length: count }, () => rand());
      return { n, label: `input "x" of shape [${shape.join(",")}]`, expect: ["invalid", "cli-error"], run: (h) => cliRequest(h, n, JSON.stringify({ x: { dtype: "float32", shape, data } }), "none") };
    },
    (n) => {
      const special = pick(["NaN", "Infinity", "-Infinity"]);
      const data: (number | string)[] = Array.from({ length: 8 }, () => rand());
      data[int(0, 7)] = special;
      // NaN and infinities are valid float32 inputs: the job may finalize (with NaN outputs) or be refused.
      return { n, label: `input with ${special}`, expect: ["finalized", "invalid", "cli-error"], run: (h) => cliRequest(h, n, JSON.stringify(mlpInput(data)), pick(["none", "optimistic"])) };
    },
    (n) => {
      const rows = pick([4200, 4096, 10_000]); // 16 bytes a row: every choice is over the 65,536-byte policy
      return {
        n,
        label: `oversized input (${rows}x4 float32) through the CLI`,
        expect: ["cli-error"],
        run: (h) => cliRequest(h, n, JSON.stringify({ x: { dtype: "float32", shape: [rows, 4], data: new Array(rows * 4).fill(0.5) } }), "none"),
      };
    },
    (n) => {
      const size = pick([65_537, 70_000]);
      return { n, label: `oversized raw input (${size} bytes) to requestInference`, expect: ["revert"], run: (h) => h.request({ input: hexlify(bytes(size)) }) };
    },
    (n) => {
      const body = bytes(int(1, 200));
      return { n, label: `undecodable input bytes (${body.length}) to requestInference`, expect: ["invalid", "revert"], run: (h) => h.request({ input: hexlify(body), mode: pick([0, 1]) }) };
    },
    (n) => {
      // A header claiming a huge tensor over a few bytes of data.
      const lie = Uint8Array.from([1, 1, 1, 0x78, 1, 2, 0xff, 0xff, 0xff, 0x7f, 4, 0, 0, 0, ...bytes(16)]);
      return { n, label: "input header claiming a 2^31 x 4 tensor", expect: ["invalid", "revert"], run: (h) => h.request({ input: hexlify(lie) }) };
    },
    (n) => {
      const text = pick(["not json", "{", "[]", "{}", '{"x": 5}', '{"x": {"dtype": "float32"}}', "\u0000\u0001\u0002", '{"x": {"dtype": "float32", "shape": [2, 4], "data": [1]}}']);
      return { n, label: `input file ${JSON.stringify(text).slice(0, 40)}`, expect: ["cli-error"], run: (h) => cliRequest(h, n, text, "none") };
    },
    (n) => {
      const fee = pick(["0", "0.0", "-1", "abc", "1e999", "0x10"]);
      return { n, label: `CLI --fee ${fee}`, expect: ["cli-error"], run: (h) => cliRequest(h, n, JSON.stringify(mlpInput()), "none", ["--fee", fee]) };
    },
    (n) => {
      const fee = pick(["100000000000", "79228162514.264337593543950336", "6000"]);
      return { n, label: `CLI --fee ${fee} (more than the client has, or than uint96)`, expect: ["cli-error"], run: (h) => cliRequest(h, n, JSON.stringify(mlpInput()), "none", ["--fee", fee]) };
    },
    (n) => {
      const fee = pick([0n, 1n, 10n ** 14n, 2n ** 96n - 1n]);
      return { n, label: `requestInference with fee ${fee}`, expect: ["revert"], run: (h) => h.request({ fee }) };
    },
    (n) => {
      const deadline = pick(["0", "-5", "59", "abc", "99999999999"]);
      return { n, label: `CLI --deadline ${deadline}`, expect: ["cli-error"], run: (h) => cliRequest(h, n, JSON.stringify(mlpInput()), "none", ["--deadline", deadline]) };
    },
    (n) => {
      const offset = pick([-3600, -1, 0, 10, 10 ** 9]);
      return { n, label: `requestInference with deadline now${offset >= 0 ? "+" : ""}${offset} s`, expect: ["revert"], run: async (h) => h.request({ deadline: Math.max(0, (await chainNow(h)) + offset) }) };
    },
    (n) => {
      const model = pick(["0", "999", "-1", "x", "1.5"]);
      return { n, label: `CLI --model ${model}`, expect: ["cli-error"], run: (h) => h.cli(["job", "request", "--model", model, "--input", h.file(`in-${n}.json`, JSON.stringify(mlpInput())), "--mode", "none"]) };
    },
    (n) => {
      const mode = pick(["attested", "fast", "QUORUM ", "3"]);
      return { n, label: `CLI --mode ${mode}`, expect: ["cli-error"], run: (h) => cliRequest(h, n, JSON.stringify(mlpInput()), mode) };
    },
    (n) => {
      const digest = pick([ZeroHash, "dup"]);
      return { n, label: digest === ZeroHash ? "registerModel with a zero digest" : "registerModel of an already registered digest", expect: ["revert"], run: async (h) => h.register(digest === ZeroHash ? ZeroHash : (await ModelRegistry__factory.connect(h.d.deployment.contracts.modelRegistry, h.d.provider).versionOf(h.mlpId, 1)).digest, "file:///nowhere") };
    },
  ];
  const cases: Case[] = [];
  // Round-robin over the kinds, in a seeded order per round: any prefix (the quick run's 40) covers them all evenly.
  let round: ((n: number) => Case)[] = [];
  for (let n = 1; n <= count; n++) {
    if (round.length === 0) round = [...kinds].sort(() => rand() - 0.5);
    cases.push((round.shift() as (n: number) => Case)(n));
  }
  return cases;
}

async function chainNow(h: Harness): Promise<number> {
  return (await h.d.provider.getBlock("latest"))?.timestamp ?? 0;
}

async function cliRequest(h: Harness, n: number, inputText: string, mode: string, extra: string[] = [], model?: bigint): Promise<Outcome> {
  const file = h.file(`input-${n}.json`, inputText);
  return h.cli(["job", "request", "--model", String(model ?? h.mlpId), "--input", file, "--mode", mode, ...extra]);
}

/** Registers `body` through the CLI (optionally with another URI), then requests a NONE job on it. */
async function registerThenRequest(h: Harness, name: string, body: Uint8Array, uri: string | undefined): Promise<Outcome> {
  const file = h.file(name, body);
  const registered = await h.cli(["model", "register", file, "--modes", "none", "--min-fee", "0", "--audit-rate", "0", ...(uri ? ["--uri", uri] : [])]);
  if (registered.kind !== "accepted") return registered;
  const id = /^(\d+)$/.exec(registered.what.trim())?.[1];
  if (!id) return { kind: "bad", why: `model register printed ${JSON.stringify(registered.what)}` };
  const served = await serveModel(h, BigInt(id));
  if (served) return served;
  return cliRequest(h, Number(id) * 1000 + 7, JSON.stringify({ x: { dtype: "float32", shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] } }), "none", [], BigInt(id));
}

/** How many future model ids the executor joins at a time (MAX_MODELS_PER_EXECUTOR less the MLP). */
const AHEAD = 7;

/**
 * Makes the executor drawable for `modelId`, registered just now. Usually it already is (it joined
 * ahead); otherwise every job so far is settled with the clock running, the executor leaves the
 * earlier hostile models for `modelId` and the ids after it, and the chain moves to the next stake
 * epoch, from which the opt-ins count. Returns an outcome only on a failure.
 */
async function serveModel(h: Harness, modelId: bigint): Promise<Outcome | undefined> {
  const stakes = StakeManager__factory.connect(h.d.deployment.contracts.stakeManager, h.d.provider);
  if ((await stakes.modelsOf(devnetWallet(EXECUTOR.accountIndex).address)).includes(modelId)) return undefined;
  h.d.startClock();
  try {
    for (const id of h.jobIds) await h.d.client.settled(id, 180_000);
  } catch (err) {
    return { kind: "bad", why: `jobs before model ${modelId} did not settle: ${(err as Error).message}` };
  } finally {
    await h.d.stopClock();
  }
  await joinAhead(h, modelId);
  await startNextStakeEpoch(h.d.deployment, h.d.provider, h.d.chain);
  return undefined;
}

/** The executor leaves every model but the MLP and joins `first` and the AHEAD - 1 ids after it (registered or not). */
async function joinAhead(h: Harness, first: bigint): Promise<void> {
  const stakes = StakeManager__factory.connect(h.d.deployment.contracts.stakeManager, devnetWallet(EXECUTOR.accountIndex, h.d.provider));
  for (const joined of await stakes.modelsOf(devnetWallet(EXECUTOR.accountIndex).address)) {
    if (joined !== h.mlpId) await (await stakes.optOut(joined)).wait();
  }
  for (let id = first; id < first + BigInt(AHEAD); id++) await (await stakes.optIn(id)).wait();
}

/** The scenario's one executor, with stake for many jobs' collateral. */
const EXECUTOR = { ...executorSpec(1), stake: 4000n * 10n ** 18n };

function harness(d: Devnet, dir: string, mlpId: bigint): Harness {
  const key = devnetWallet(CLIENT_INDEXES[1]).privateKey;
  const raw = devnetWallet(CLIENT_INDEXES[0], d.provider);
  const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, raw as ContractRunner);
  const models = ModelRegistry__factory.connect(d.deployment.contracts.modelRegistry, raw as ContractRunner);
  const base = ["--deployment", d.deploymentFile, "--data-dir", path.join(dir, "cli")];
  const jobOf = (receipt: ReceiptLike | null): Outcome => {
    try {
      return { kind: "job", jobId: jobIdOf(receipt) };
    } catch {
      return { kind: "accepted", what: "a transaction without JobRequested" };
    }
  };
  const jobIds: bigint[] = [];
  return {
    d,
    dir,
    mlpId,
    jobIds,
    file(name, bytes) {
      const file = path.join(dir, "files", name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, bytes);
      return file;
    },
    async cli(argv) {
      let out = "";
      let err = "";
      const code = await runCli([...argv, ...base], { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { GLASSBOX_PRIVATE_KEY: key }, provider: d.provider });
      const lines = err.trim().split("\n").filter((l) => l.trim() !== "");
      if (code !== 0) {
        if (lines.length !== 1) return { kind: "bad", why: `exit ${code} with ${lines.length} stderr lines: ${JSON.stringify(err.slice(0, 300))}` };
        if (/\b(undefined|null|TypeError|ReferenceError|at \w+ \()/.test(lines[0])) return { kind: "bad", why: `unclear error: ${lines[0]}` };
        return { kind: "cli-error", line: lines[0] };
      }
      const jobId = /^(\d+)\s*$/.exec(out.split("\n")[0] ?? "")?.[1];
      if (argv[0] === "job" && jobId) {
        jobIds.push(BigInt(jobId));
        return { kind: "job", jobId: BigInt(jobId) };
      }
      return { kind: "accepted", what: out };
    },
    async request(patch) {
      const now = (await d.provider.getBlock("latest"))?.timestamp ?? 0;
      const request: Request = {
        modelId: mlpId,
        version: 1,
        mode: Mode.NONE,
        fee: 10n ** 18n,
        deadline: now + DEADLINE_SECONDS,
        input: hexlify(encodeTensors({ x: { dtype: "float32", shape: [2, 4], data: [1, 2, 3, 4, 5, 6, 7, 8] } } as TensorMap)),
        inputHash: ZeroHash,
        inputURI: "",
        inputSize: 0,
        callback: ZeroAddress,
        callbackGasLimit: 0,
        auditRateBps: 0,
        ...patch,
      };
      try {
        const outcome = jobOf(await (await jobs.requestInference(request)).wait());
        if (outcome.kind === "job") jobIds.push(outcome.jobId);
        return outcome;
      } catch (err) {
        const name = decodeRevert(err)?.text;
        return name ? { kind: "revert", name } : { kind: "bad", why: `unnamed failure: ${(err as Error).message.split("\n")[0].slice(0, 200)}` };
      }
    },
    async register(digest, uri) {
      const policy = { allowedModes: 1, exact: false, auditRateBps: 0, maxInputBytes: 1024, minFee: 0n, runtime: 0, absTolerance: 0n, relTolerance: 0n, schemaHash: ZeroHash };
      try {
        await (await models.registerModel(digest, uri, policy)).wait();
        return { kind: "accepted", what: "registered" };
      } catch (err) {
        const name = decodeRevert(err)?.text;
        return name ? { kind: "revert", name } : { kind: "bad", why: `unnamed failure: ${(err as Error).message.split("\n")[0].slice(0, 200)}` };
      }
    },
  };
}

export const hostileInputs: Scenario = {
  name: "hostile-inputs",
  chains: { hardhat: { quick: true }, anvil: { quick: false } },
  description: `${CASES} seeded hostile inputs (${QUICK_CASES} with --quick) through the CLI and the contracts`,
  run: ({ quick, log, chain }) =>
    withDevnet({ chain, name: "hostile-inputs", nodes: [EXECUTOR, verifierSpec(1)] }, async (d) => {
      const dir = path.join(d.dir, "hostile");
      fs.mkdirSync(dir, { recursive: true });
      const h = harness(d, dir, d.mlp.id);
      // The executor joins the next ids the registry gives, drawn from the next stake epoch on (no job exists yet).
      await joinAhead(h, (await ModelRegistry__factory.connect(d.deployment.contracts.modelRegistry, d.provider).modelCount()) + 1n);
      await startNextStakeEpoch(d.deployment, d.provider, d.chain);
      const cases = generateCases().slice(0, quick ? QUICK_CASES : CASES);
      const results: { c: Case; outcome: Outcome }[] = [];
      for (const c of cases) {
        let outcome: Outcome;
        try {
          outcome = await c.run(h);
        } catch (err) {
          outcome = { kind: "bad", why: `the harness threw: ${(err as Error).message.split("\n")[0]}` };
        }
        results.push({ c, outcome });
      }
      const jobIds = results.flatMap((r) => (r.outcome.kind === "job" ? [r.outcome.jobId] : []));
      log(`${results.length} cases run (seed ${SEED}); ${jobIds.length} became jobs; waiting for them`);

      // Every job must end; OPTIMISTIC ones need their challenge window to pass.
      await waitSubmittedOrDone(d, jobIds, 180_000);
      d.startClock();
      const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, d.provider);
      const endOf = new Map<bigint, string>();
      await Promise.all(
        jobIds.map(async (id) => {
          const o = await d.client.settled(id, 120_000).catch(() => "stuck");
          if (o === "refunded") {
            const [ev] = await jobs.queryFilter(jobs.filters.JobRefunded(id));
            endOf.set(id, `refunded ${(ev ? nameOf(RefundReason, ev.args.reason) : undefined) ?? "?"}`);
          } else endOf.set(id, o);
        }),
      );
      await d.stopClock();

      const failures: string[] = [];
      const tally = new Map<string, number>();
      for (const { c, outcome } of results) {
        let got: Expected | string;
        if (outcome.kind === "job") {
          const end = endOf.get(outcome.jobId) ?? "unknown";
          got = end === "refunded InvalidInput" ? "invalid" : end === "finalized" ? "finalized" : `job ${outcome.jobId} ${end}`;
        } else if (outcome.kind === "bad") got = outcome.why;
        else got = outcome.kind;
        tally.set(got, (tally.get(got) ?? 0) + 1);
        if (!(c.expect as string[]).includes(got)) failures.push(`case ${c.n} (${c.label}): expected ${c.expect.join("|")}, got ${got}${outcome.kind === "cli-error" ? ` (${outcome.line})` : outcome.kind === "revert" ? ` (${outcome.name})` : ""}`);
      }
      for (const [name, n] of d.nodes) {
        expectThat(alive(d, name), `${name} died during the hostile inputs`);
        expectThat(await healthy(n.metricsPort, 20_000), `${name}'s /healthz is not 200 after the hostile inputs`);
      }
      if (process.env.CHAOS_CASES) for (const { c, outcome } of results) console.error(`case ${c.n} ${c.label}: ${JSON.stringify(outcome, (_k, v) => (typeof v === "bigint" ? v.toString() : v))} ${outcome.kind === "job" ? endOf.get(outcome.jobId) : ""}`);
      expectThat(failures.length === 0, `${failures.length} of ${results.length} cases misbehaved (seed ${SEED}): ${failures.slice(0, 8).join("; ")}${failures.length > 8 ? "; ..." : ""}`);
      const counts = [...tally.entries()].map(([k, v]) => `${v} ${k}`).join(", ");
      return `${results.length} cases (seed ${SEED}): ${counts}; ${jobIds.length} jobs all ended; nodes alive and healthy`;
    }),
};

/** Waits until each job is past Assigned (Submitted or settled), so the clock can then run safely. */
async function waitSubmittedOrDone(d: Devnet, ids: bigint[], timeoutMs: number): Promise<void> {
  const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, d.provider);
  const until = Date.now() + timeoutMs;
  for (;;) {
    let waiting = 0;
    for (const id of ids) if (Number((await jobs.jobOf(id)).status) <= 2) waiting++;
    if (waiting === 0 || Date.now() > until) return;
    await sleep(500);
  }
}

// Exported for a quick look at the generated cases: `node -r ts-node/register/transpile-only -e 'require("./scripts/chaos/scenarios/hostileInputs").printCases()'`.
export function printCases(): void {
  for (const c of generateCases()) console.log(`${c.n}\t${c.expect.join("|")}\t${c.label}`);
}
