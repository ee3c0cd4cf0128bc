/**
 * "Use Glassbox from your dApp" (README), end to end: deploys the example consumer
 * contracts/examples/ClassificationBook.sol (or reuses one with --book), requests a classification
 * of --input by model --model with the book as the job's callback, follows the job printing each
 * progress event, reads the result, delivers it to the book (client.deliver: JobRegistry.deliver
 * with the gas the callback's cap needs) and prints what the book recorded. It talks to Glassbox
 * only through the client SDK (packages/node/src/sdk, and connectFromFile, its Node-only helper, from the
 * node's entry packages/node/src); the book's
 * typechain factory is the dApp's own contract binding.
 *
 *   GLASSBOX_PRIVATE_KEY=0x... npx ts-node --transpile-only examples/sdk/requestAndAct.ts \
 *     --deployment deployments/localhost.json --model 1 --input examples/inputs/classify.json
 *
 * The last line printed is a JSON summary: {"jobId","book","outcome","label","score","rejectReason"}.
 */
import fs from "node:fs";
import { formatUnits, JsonRpcProvider, Wallet } from "ethers";
import { GlassboxError, type JobProgress, type RequestArgs } from "../../packages/node/src/sdk";
import { connectFromFile } from "../../packages/node/src";
import { ClassificationBook__factory, type ClassificationBook } from "../../packages/node/src/typechain";

const OUTCOMES = ["None", "Labelled", "InputRejected"] as const;
/** Gas the book's callback may use: decoding a small output and one storage write fit easily. */
const CALLBACK_GAS_LIMIT = 300_000;
const WAIT_TIMEOUT_MS = 300_000;

interface Options {
  deployment: string;
  rpc: string;
  model: bigint;
  input: string;
  mode: "none" | "optimistic";
  book?: string;
}

const USAGE =
  "usage: GLASSBOX_PRIVATE_KEY=0x... npx ts-node --transpile-only examples/sdk/requestAndAct.ts --model ID --input FILE.json " +
  "[--deployment FILE (default deployments/localhost.json)] [--rpc URL (default $GLASSBOX_RPC or http://127.0.0.1:8545)] " +
  "[--mode none|optimistic (default optimistic)] [--book ADDRESS (reuse a deployed ClassificationBook)]";

function parseArgs(argv: string[]): Options {
  const o: Partial<Options> = { deployment: "deployments/localhost.json", rpc: process.env.GLASSBOX_RPC ?? "http://127.0.0.1:8545", mode: "optimistic" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === "--deployment") o.deployment = value;
    else if (flag === "--rpc") o.rpc = value;
    else if (flag === "--model") {
      if (!/^[1-9][0-9]*$/.test(value)) throw new Error(`--model takes a model id (1, 2, ...), not "${value}"\n${USAGE}`);
      o.model = BigInt(value);
    }
    else if (flag === "--input") o.input = value;
    else if (flag === "--book") o.book = value;
    else if (flag === "--mode") {
      if (value !== "none" && value !== "optimistic") throw new Error(`--mode must be none or optimistic, not "${value}"\n${USAGE}`);
      o.mode = value;
    } else throw new Error(`unknown option ${flag}\n${USAGE}`);
  }
  if (o.model === undefined || o.input === undefined) throw new Error(`--model and --input are required\n${USAGE}`);
  return o as Options;
}

/** An input file: `{ "<name>": { "dtype": "float32", "shape": [1, 4], "data": [...] } }`, as examples/inputs/ holds. */
function readInput(file: string): RequestArgs["input"] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, "utf8"));
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error(`${file} is not a map of named tensors: see examples/inputs/classify.json`);
  return parsed as RequestArgs["input"];
}

/** One line per progress event: what happened, in which block. */
function describe(e: JobProgress): string {
  switch (e.kind) {
    case "drawArmed":
      return `executor draw armed: anyone may assign after block ${e.drawTarget}`;
    case "seatForfeited":
      return `drawn executor ${e.executor} could not serve its seat`;
    case "unassigned":
      return "the draw assigned nobody";
    case "timedOut":
      return `executor ${e.executor} missed its deadline, slashed ${formatUnits(e.slashed)} GLASS`;
    case "assigned":
      return `assigned to ${e.executors.join(", ")} (attempt ${e.attempt})`;
    case "resultPosted":
      return `result posted by ${e.executor}, output hash ${e.outputHash}`;
    case "challenged":
      return `${e.audit ? "audit" : "challenge"} opened, dispute ${e.disputeId}`;
    case "disputeResolved":
      return `dispute ${e.disputeId} resolved: ${e.verdict}`;
    case "finalized":
      return `finalized, output hash ${e.outputHash}`;
    case "refunded":
      return `refunded (${e.reason}), ${formatUnits(e.amount)} GLASS`;
    default:
      return e.kind;
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const key = process.env.GLASSBOX_PRIVATE_KEY;
  if (!key) throw new Error(`set GLASSBOX_PRIVATE_KEY to the requester's key (npm start prints a funded devnet key on its "try:" line)\n${USAGE}`);
  // No response cache: ethers keeps an answer for 250 ms by default, and on a devnet that mines at
  // once the request following the book's deployment would be given the deployment's cached nonce
  // ("nonce has already been used").
  const provider = new JsonRpcProvider(o.rpc, undefined, { staticNetwork: true, cacheTimeout: -1 });
  try {
    const wallet = new Wallet(key, provider);
    const client = await connectFromFile(o.deployment, wallet);
    const me = await client.address();

    // 1. The dApp's contract: a book that trusts this requester and only the JobRegistry.
    let book: ClassificationBook;
    if (o.book) {
      book = ClassificationBook__factory.connect(o.book, wallet);
    } else {
      book = await new ClassificationBook__factory(wallet).deploy(client.addresses.jobRegistry, client.addresses.token, me);
      await book.waitForDeployment();
    }
    const bookAddress = await book.getAddress();
    console.log(`ClassificationBook at ${bookAddress} (records jobs requested by ${me})`);

    // 2. The request, with the book as the callback.
    const requested = await client.request({ model: o.model, input: readInput(o.input), mode: o.mode, callback: bookAddress, callbackGasLimit: CALLBACK_GAS_LIMIT });
    console.log(`requested job ${requested.jobId}: model ${o.model}, ${o.mode}, fee ${formatUnits(requested.fee)} GLASS, block ${requested.block}, tx ${requested.txHash}`);

    // 3. Its progress, event by event, until it is final.
    const final = await client.wait(requested.jobId, {
      timeoutMs: WAIT_TIMEOUT_MS,
      pollMs: 250,
      onProgress: (e) => console.log(`progress: block ${e.block} ${e.kind}: ${describe(e)}`),
    });
    console.log(`final: ${final.status} in block ${final.block}`);

    // 4. The result as the chain holds it.
    const result = await client.result(requested.jobId);
    if (result.kind === "output") {
      for (const [name, t] of Object.entries(result.tensors)) console.log(`result: ${name} ${t.dtype}[${t.shape.join(",")}] = ${Array.from(t.data as ArrayLike<number | bigint>, (v) => String(v)).join(", ")}`);
    } else {
      console.log(`result: the executor's accepted answer is that the input is invalid (${result.reason})`);
    }

    // 5. Deliver it to the book (anyone may; finalization never calls out) and read what the book did.
    // The client sends with the gas the job's callback cap needs (a node's estimate for deliver is not to be trusted).
    const delivered = await client.deliver(requested.jobId);
    console.log(`delivered in block ${delivered.block}: callback ${delivered.succeeded ? "succeeded" : "FAILED"}`);
    const entry = await book.entryOf(requested.jobId);
    const outcome = OUTCOMES[Number(entry.outcome)];
    if (outcome === "Labelled") console.log(`book: job ${requested.jobId} labelled ${entry.label} (score ${formatUnits(entry.score)})`);
    else if (outcome === "InputRejected") console.log(`book: job ${requested.jobId} input rejected, reason code ${entry.rejectReason}`);
    else console.log(`book: job ${requested.jobId} has no entry (the callback failed: check the callback gas limit and the book's REQUESTER)`);
    console.log(JSON.stringify({ jobId: requested.jobId.toString(), book: bookAddress, outcome, label: Number(entry.label), score: entry.score.toString(), rejectReason: Number(entry.rejectReason) }));
  } finally {
    provider.destroy();
  }
}

main().catch((err: unknown) => {
  const message = err instanceof GlassboxError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
  console.error(`requestAndAct: ${message}`);
  process.exit(1);
});
