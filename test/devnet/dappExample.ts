/**
 * The README's "Use Glassbox from your dApp", as a user runs it: the section's two command lines
 * (start the devnet; run examples/sdk/requestAndAct.ts against its deployment file) are read from
 * README.md, so the docs and this test cannot drift, and run as separate processes. The only
 * adaptations, so that the test neither collides with a devnet already running on this machine
 * nor writes into the repository:
 *
 *   - `npm start` gets `-- --port P --metrics-port M --content-store-port C --state-dir D
 *     --deployment F` (free ports, a temporary directory);
 *   - the script's `--deployment deployments/localhost.json` becomes `--deployment F`, and
 *     GLASSBOX_RPC points it at port P.
 *
 * Everything else (the key, the model id, the input file, the script's flags) is the README's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider, sha256, Wallet } from "ethers";
import * as ort from "onnxruntime-node";
import { freePort, freePortRun } from "../../scripts/devnet/chain";
import { NODES } from "../../scripts/devnet/setup";
import { startDevnetProcess, stopProcessGroup } from "../fixtures/devnetProcess";
import { readDeployment } from "../../packages/node/src";
import { mlp } from "../../packages/testkit/src/fixtures";
import { ClassificationBook__factory, JobRegistry__factory, ModelRegistry__factory } from "../../packages/node/src/typechain";

const ROOT = path.resolve(__dirname, "..", "..");
const SECTION = "## Use Glassbox from your dApp";
/** How long the devnet (its demo included) may take to print its `try:` line: it runs beside the rest of the suite, so under load. */
const DEVNET_READY_MS = 300_000;

interface Command {
  env: Record<string, string>;
  argv: string[];
}

/** The `sh` command lines of the README section, each split into leading VAR=value and words. */
function readmeCommands(): Command[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`README.md has no "${SECTION}" section`);
  const rest = readme.slice(start + SECTION.length + 2);
  const end = rest.search(/\n## /);
  const body = end < 0 ? rest : rest.slice(0, end);
  const commands: Command[] = [];
  for (const block of body.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1].split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      if (line === "") continue;
      const words = line.split(/\s+/);
      const env: Record<string, string> = {};
      while (words.length > 0 && /^[A-Z_]+=/.test(words[0])) {
        const [name, ...value] = words.shift()!.split("=");
        env[name] = value.join("=");
      }
      commands.push({ env, argv: words });
    }
  }
  return commands;
}

/** Replaces the value after `flag` in `argv`; throws when the command has no such flag. */
function withFlag(argv: string[], flag: string, value: string): string[] {
  const i = argv.indexOf(flag);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`the README command has no ${flag}: ${argv.join(" ")}`);
  return [...argv.slice(0, i + 1), value, ...argv.slice(i + 2)];
}

/** Whether any process of process group `pgid` is still running. */
interface ExampleRun {
  dir: string;
  port: number;
  deploymentFile: string;
  devnet?: ChildProcess;
  devnetOut: string;
  script?: { code: number | null; stdout: string; stderr: string };
  error?: Error;
}

/** Starts the README's devnet, waits for its `try:` line, then runs the README's script against it. */
async function runExample(run: ExampleRun): Promise<void> {
  const commands = readmeCommands();
  expect(commands.map((c) => c.argv.slice(0, 2).join(" ")), "the section's command lines").to.deep.equal(["npm start", "npx ts-node"]);
  const [startCmd, scriptCmd] = commands;

  run.dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-dapp-"));
  run.port = await freePort();
  run.deploymentFile = path.join(run.dir, "deployment.json");
  const metricsPort = await freePortRun(NODES.length + 1);
  const startArgv = [...startCmd.argv, "--", "--port", String(run.port), "--metrics-port", String(metricsPort), "--content-store-port", String(await freePort()), "--explorer-port", "0", "--state-dir", path.join(run.dir, "state"), "--deployment", run.deploymentFile];

  // The devnet: its own process group, so that the whole tree stops with it.
  const started = await startDevnetProcess(startArgv, { cwd: ROOT, env: startCmd.env, readyMs: DEVNET_READY_MS, onSpawn: (child) => (run.devnet = child) });
  run.devnetOut = started.output();

  const scriptArgv = withFlag(scriptCmd.argv, "--deployment", run.deploymentFile);
  run.script = await new Promise((resolve) => {
    const child = spawn(scriptArgv[0], scriptArgv.slice(1), { cwd: ROOT, env: { ...process.env, ...scriptCmd.env, GLASSBOX_RPC: `http://127.0.0.1:${run.port}` }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Stops the devnet's process group (npm, and main.ts, which stops the chain and nodes it started), waits until nothing of it is left, removes its directory. */
async function stopExample(run: ExampleRun): Promise<void> {
  await stopProcessGroup(run.devnet);
  if (run.dir) fs.rmSync(run.dir, { recursive: true, force: true });
}

// Started when mocha loads this file, like the anvil demo: the devnet's demo mostly runs beside the
// in-process suite instead of after it. A failure is kept for the `before` below to report.
const example: ExampleRun = { dir: "", port: 0, deploymentFile: "", devnetOut: "" };
const early: Promise<void> = runExample(example).catch((err: unknown) => {
  example.error = err instanceof Error ? err : new Error(String(err));
});

// Root hook: the devnet stops even when a --grep leaves the describe below out.
after(async function () {
  this.timeout(60_000);
  await early;
  await stopExample(example);
});

describe('README "Use Glassbox from your dApp": the devnet and examples/sdk/requestAndAct.ts', function () {
  this.timeout(360_000);
  let port: number;
  let deploymentFile: string;
  let script: { code: number | null; stdout: string; stderr: string };

  before(async function () {
    await early;
    if (example.error) throw example.error;
    ({ port, deploymentFile } = example);
    script = example.script!;
  });

  function summary(): { jobId: string; book: string; outcome: string; label: number; score: string; rejectReason: number } {
    return JSON.parse(script.stdout.trim().split("\n").pop() ?? "");
  }

  it("the script exits 0 and prints every step: the book, the request, each progress event, the result, the delivery, the book's entry", function () {
    expect(script.code, `exit ${script.code}\n${script.stdout}\n${script.stderr}`).to.equal(0);
    const lines = script.stdout.split("\n");
    const jobId = summary().jobId;
    expect(lines.some((l) => /^ClassificationBook at 0x[0-9a-fA-F]{40} /.test(l))).to.equal(true);
    expect(lines.some((l) => l.startsWith(`requested job ${jobId}: model 1, optimistic,`))).to.equal(true);
    const kinds = lines.filter((l) => l.startsWith("progress: ")).map((l) => /^progress: block \d+ (\w+):/.exec(l)?.[1]);
    // An honest OPTIMISTIC job: its draw armed, drawn, posted, final (an audit may open between the last two).
    expect(kinds.slice(0, 2)).to.deep.equal(["drawArmed", "assigned"]);
    expect(kinds).to.include("resultPosted");
    expect(kinds[kinds.length - 1]).to.equal("finalized");
    expect(lines.some((l) => /^final: Finalized in block \d+$/.test(l))).to.equal(true);
    expect(lines.some((l) => /^result: logits float32\[1,3\] = /.test(l))).to.equal(true);
    expect(lines.some((l) => /^delivered in block \d+: callback succeeded$/.test(l))).to.equal(true);
    expect(lines.some((l) => l.startsWith(`book: job ${jobId} labelled `))).to.equal(true);
  });

  it("the README's model 1 is the devnet's MLP, and the book holds the argmax of the MLP's own output on the README's input", async function () {
    expect(script.code, script.stderr).to.equal(0);
    const s = summary();
    const deployment = readDeployment(deploymentFile);
    const provider = new JsonRpcProvider(`http://127.0.0.1:${port}`, undefined, { staticNetwork: true });
    try {
      const models = ModelRegistry__factory.connect(deployment.contracts.modelRegistry, provider);
      expect((await models.versionOf(1n, 1)).digest).to.equal(sha256(mlp()));

      const input = JSON.parse(fs.readFileSync(path.join(ROOT, "examples", "inputs", "classify.json"), "utf8")) as { x: { shape: number[]; data: number[] } };
      const session = await ort.InferenceSession.create(Buffer.from(mlp()));
      const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from(input.x.data), input.x.shape) });
      const logits = Array.from(out.logits.data as Float32Array);
      const argmax = logits.indexOf(Math.max(...logits));

      const book = ClassificationBook__factory.connect(s.book, provider);
      const entry = await book.entryOf(BigInt(s.jobId));
      expect(entry.outcome).to.equal(1n); // Labelled
      expect(entry.label).to.equal(BigInt(argmax));
      expect(s).to.include({ outcome: "Labelled", label: argmax, score: entry.score.toString() });
      // The README's key is the one the devnet itself offers on its `try:` line, and the book trusts it.
      const key = readmeCommands()[1].env.GLASSBOX_PRIVATE_KEY;
      expect(example.devnetOut).to.contain(`try: GLASSBOX_PRIVATE_KEY=${key} `);
      expect(await book.REQUESTER()).to.equal(new Wallet(key).address);
      // The book was called back by the JobRegistry for this job, successfully, exactly once.
      const jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
      const executed = await jobs.queryFilter(jobs.filters.CallbackExecuted(BigInt(s.jobId)));
      expect(executed.map((e) => [e.args.callback, e.args.success])).to.deep.equal([[s.book, true]]);
      const labelled = await book.queryFilter(book.filters.Labelled(BigInt(s.jobId)));
      expect(labelled.map((e) => e.args.label)).to.deep.equal([BigInt(argmax)]);
    } finally {
      provider.destroy();
    }
  });
});
