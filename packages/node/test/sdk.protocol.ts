import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { artifacts, ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Interface, ParamType, Wallet, type ErrorFragment, type EventFragment, type Filter, type Log, type Provider } from "ethers";
import { decodeRevert, decodeRevertData, HINTS, namesOf, nameOf, PROTOCOL_ABIS, SOLIDITY_ENUMS, Mode, Role, Status } from "../src/sdk/protocol";
import { progressIn } from "../src/sdk/events";
import { CALLBACK_GAS_UNIT, CALLBACK_RESERVE } from "../src/sdk/deliverGas";
import { errorText } from "../src/roles/context";
import { deployWorld, requestParams, type World } from "../../../test/fixtures/protocol";

interface AstNode {
  nodeType?: string;
  name?: string;
  members?: { name: string }[];
  [key: string]: unknown;
}

let enumsCache: Promise<Map<string, string[]>> | undefined;

/**
 * Every enum the protocol's Solidity sources declare (outside contracts/test and contracts/examples:
 * mocks and the dApp examples are not the protocol), by name, from the compiler's AST. The build
 * info of a clean compile holds every source; an incremental one only those compiled with JobRegistry.
 */
function solidityEnums(): Promise<Map<string, string[]>> {
  enumsCache ??= readSolidityEnums();
  return enumsCache;
}

async function readSolidityEnums(): Promise<Map<string, string[]>> {
  const info = await artifacts.getBuildInfo("contracts/JobRegistry.sol:JobRegistry");
  if (!info) throw new Error("no build info for JobRegistry: run npx hardhat compile");
  const found = new Map<string, string[]>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== "object" || node === null) return;
    const n = node as AstNode;
    if (n.nodeType === "EnumDefinition" && n.name && n.members) found.set(n.name, n.members.map((m) => m.name));
    for (const v of Object.values(n)) if (typeof v === "object") walk(v);
  };
  for (const [file, source] of Object.entries(info.output.sources)) {
    if (file.startsWith("contracts/") && !file.startsWith("contracts/test/") && !file.startsWith("contracts/examples/")) walk((source as { ast: unknown }).ast);
  }
  return found;
}

/** A value of ABI type `p` for encoding a sample error. */
function sample(p: ParamType, i: number): unknown {
  if (p.isArray()) return [];
  if (p.isTuple()) return p.components.map(sample);
  const small = Number(/\d+$/.exec(p.type)?.[0] ?? 256) <= 8; // uint8: enums such as Status
  if (p.type.startsWith("uint")) return BigInt(small ? i + 1 : 1000 + i);
  if (p.type.startsWith("int")) return -BigInt(small ? i + 1 : 1000 + i);
  if (p.type === "address") return `0x${String(i + 1).padStart(40, "0")}`;
  if (p.type === "bool") return true;
  if (p.type === "string") return `field${i}`;
  if (p.type === "bytes") return "0x1234";
  const m = /^bytes(\d+)$/.exec(p.type);
  if (m) return `0x${"ab".repeat(Number(m[1]))}`;
  throw new Error(`no sample for ${p.type}`);
}

/** Every custom error in the ABIs of the artifacts whose source path starts with `prefix`. */
async function errorsUnder(prefix: string): Promise<{ where: string; fragment: ErrorFragment }[]> {
  const out: { where: string; fragment: ErrorFragment }[] = [];
  for (const fq of await artifacts.getAllFullyQualifiedNames()) {
    if (!fq.startsWith(prefix)) continue;
    const iface = new Interface((await artifacts.readArtifact(fq)).abi);
    iface.forEachError((fragment) => out.push({ where: fq, fragment }));
  }
  return out;
}

const PRODUCTION = ["contracts/JobRegistry.sol", "contracts/ModelRegistry.sol", "contracts/StakeManager.sol", "contracts/DisputeManager.sol", "contracts/QuorumManager.sol", "contracts/PaymentVault.sol", "contracts/GlassboxToken.sol", "contracts/libraries/", "contracts/randomness/", "contracts/governance/", "contracts/consumer/", "contracts/referee/"];

describe("sdk/protocol enums: the same members in the same order as the contracts' enums", function () {
  for (const [name, ts] of Object.entries(SOLIDITY_ENUMS)) {
    it(`${name} matches the Solidity enum ${name}`, async function () {
      const sol = (await solidityEnums()).get(name);
      expect(sol, `no Solidity enum ${name}`).to.not.equal(undefined);
      expect(namesOf(ts)).to.deep.equal(sol);
      // Values are positions: the ABI encodes an enum as its member's index.
      namesOf(ts).forEach((member, i) => expect((ts as Record<string, number>)[member], member).to.equal(i));
    });
  }

  it("mirrors every enum the contracts declare, and no other", async function () {
    expect([...(await solidityEnums()).keys()].sort()).to.deep.equal(Object.keys(SOLIDITY_ENUMS).sort());
  });

  it("names a value, and nothing for a value out of range", function () {
    expect(nameOf(Status, 5n)).to.equal("Finalized");
    expect(nameOf(Mode, 2)).to.equal("QUORUM");
    expect(nameOf(Role, 9)).to.equal(undefined);
  });
});

/** The literal value of constant `name` declared in `file` (a contracts/ path), from the compiler's AST. */
async function solidityConstant(file: string, name: string): Promise<string | undefined> {
  const info = await artifacts.getBuildInfo("contracts/JobRegistry.sol:JobRegistry");
  if (!info) throw new Error("no build info for JobRegistry: run npx hardhat compile");
  let found: string | undefined;
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (typeof node !== "object" || node === null) return;
    const n = node as AstNode & { constant?: boolean; value?: { nodeType?: string; value?: string } };
    if (n.nodeType === "VariableDeclaration" && n.constant && n.name === name && n.value?.nodeType === "Literal") found = n.value.value;
    for (const v of Object.values(n)) if (typeof v === "object") walk(v);
  };
  walk((info.output.sources[file] as { ast: unknown } | undefined)?.ast);
  return found;
}

describe("sdk/deliverGas: the contracts' callback gas constants", function () {
  it("CALLBACK_GAS_UNIT is JobRegistry's and CALLBACK_RESERVE is JobSettlement's", async function () {
    expect(Number((await solidityConstant("contracts/JobRegistry.sol", "CALLBACK_GAS_UNIT"))?.replace(/_/g, ""))).to.equal(CALLBACK_GAS_UNIT);
    expect(Number((await solidityConstant("contracts/libraries/JobSettlement.sol", "CALLBACK_RESERVE"))?.replace(/_/g, ""))).to.equal(CALLBACK_RESERVE);
  });
});

describe("decodeRevert: every custom error decodes by name", function () {
  for (const [label, prefix] of [["declared in contracts/interfaces", "contracts/interfaces/"], ...PRODUCTION.map((p) => [`of ${p}`, p])]) {
    it(`decodes every error ${label}, with its arguments, into one line`, async function () {
      const errors = await errorsUnder(prefix);
      expect(errors.length, `no errors under ${prefix}`).to.be.greaterThan(0);
      for (const { where, fragment } of errors) {
        const values = fragment.inputs.map(sample);
        const data = new Interface([fragment]).encodeErrorResult(fragment, values);
        const decoded = decodeRevertData(data);
        expect(decoded, `${where}: ${fragment.format()}`).to.not.equal(undefined);
        expect(decoded?.name).to.equal(fragment.name);
        expect(decoded?.text.startsWith(`${fragment.name}(`), decoded?.text).to.equal(true);
        fragment.inputs.forEach((input, i) => expect(String(decoded?.args[input.name]), `${fragment.name}.${input.name}`).to.equal(String(values[i])));
        expect(decoded?.message).to.not.match(/\n|undefined|NaN/);
      }
    });
  }

  it("has a hint only for errors some protocol contract declares", function () {
    const declared = new Set<string>(["Error", "Panic"]);
    for (const abi of Object.values(PROTOCOL_ABIS)) new Interface(abi).forEachError((f) => declared.add(f.name));
    expect(Object.keys(HINTS).filter((name) => !declared.has(name))).to.deep.equal([]);
  });

  it("has a hint for each error a CLI user meets", function () {
    const met = ["InlineTooLarge", "InputTooLarge", "FeeBelowProtocolMinimum", "FeeBelowModelMinimum", "FeeBelowAuditCost", "FeeAboveCollateralCap", "DeadlineOutOfRange", "ModeNotAllowed", "UnknownModel", "VersionDeprecated", "DigestAlreadyRegistered", "InvalidPolicy", "InsufficientFreeStake", "StillUnbonding", "NothingToWithdraw", "StillJailed", "AlreadyOptedIn", "NotOptedIn", "TooManyModels", "UnknownJob", "JobNotInStatus", "PhaseOver", "PhaseNotOver", "ERC20InsufficientBalance", "ERC20InsufficientAllowance"];
    expect(met.filter((name) => HINTS[name] === undefined)).to.deep.equal([]);
  });
});

describe("decodeRevert: hints say what to do next", function () {
  const iface = new Interface(PROTOCOL_ABIS.JobRegistry);
  const stakes = new Interface(PROTOCOL_ABIS.StakeManager);

  it("InlineTooLarge: the size, the inline limit, and pass it by reference", function () {
    const decoded = decodeRevertData(iface.encodeErrorResult("InlineTooLarge", [20_000, 12_288]));
    expect(decoded?.message).to.equal("InlineTooLarge(size=20000, maximum=12288): the input is 20000 bytes, above the inline limit of 12288; pass it by reference (inputURI and inputHash)");
  });

  it("InsufficientFreeStake: amounts in tokens", function () {
    const decoded = decodeRevertData(stakes.encodeErrorResult("InsufficientFreeStake", [5n * 10n ** 18n, 10n ** 17n]));
    expect(decoded?.hint).to.equal("you asked for 5.0 tokens but only 0.1 tokens of this stake is free (not locked or unbonding): ask for less");
  });

  it("JobNotInStatus: the status by name", function () {
    expect(decodeRevertData(iface.encodeErrorResult("JobNotInStatus", [3, Status.Finalized]))?.hint).to.match(/^job 3 is Finalized, not in the status this call needs/);
  });

  it("TooManyModels: the StakeManager's (opt out first) when the call went there, else the registry's", function () {
    const data = stakes.encodeErrorResult("TooManyModels", [8]);
    expect(decodeRevertData(data, { contract: "StakeManager" })?.hint).to.match(/opt out of one first/);
    expect(decodeRevertData(data, { contract: "StakeManager" })?.contract).to.equal("StakeManager");
    expect(decodeRevertData(data)?.hint).to.match(/the registry already holds its maximum of 8 models/);
  });

  it("Error(string) and Panic(uint256): the reason, and what a panic means", function () {
    const builtin = new Interface(["error Error(string)", "error Panic(uint256)"]);
    expect(decodeRevertData(builtin.encodeErrorResult("Error", ["too late"]))?.message).to.equal("Error(arg0=too late): reverted: too late");
    expect(decodeRevertData(builtin.encodeErrorResult("Panic", [0x11]))?.hint).to.equal("panicked with code 17 (an assertion, overflow or bad index in the contract)");
  });

  it("renders an error without a hint generically", function () {
    const empty = decodeRevertData(new Interface(PROTOCOL_ABIS.SumTree).encodeErrorResult("EmptyTree", []));
    expect(empty?.hint).to.equal(undefined);
    expect(empty?.message).to.equal("EmptyTree()");
    const malformed = decodeRevertData(new Interface(PROTOCOL_ABIS.TensorCodec).encodeErrorResult("MalformedTensor", [7]));
    expect(malformed?.message).to.equal("MalformedTensor(offset=7)");
  });
});

describe("decodeRevert: finds the revert data wherever ethers or the endpoint put it", function () {
  const data = new Interface(PROTOCOL_ABIS.ModelRegistry).encodeErrorResult("UnknownModel", [42]);
  const shapes: [string, unknown][] = [
    ["a CALL_EXCEPTION's data", Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION", data })],
    ["error.error.data (a wallet's wrapped JSON-RPC error)", { error: { error: { code: 3, message: "execution reverted", data } } }],
    ["info.error.data.data (an endpoint nesting it once more)", { info: { error: { message: "reverted", data: { data } } } }],
    ["a 'could not coalesce error' wrapping the JSON-RPC error", Object.assign(new Error("could not coalesce error"), { code: "UNKNOWN_ERROR", error: { code: -32603, message: "VM Exception while processing transaction", data } })],
    ["an error's cause", new Error("send failed", { cause: { data } })],
    ["Hardhat's in-process message only", new Error("VM Exception while processing transaction: reverted with custom error 'UnknownModel(42)'")],
  ];
  for (const [where, err] of shapes) {
    it(`in ${where}`, function () {
      const decoded = decodeRevert(err);
      expect(decoded?.name).to.equal("UnknownModel");
      expect(decoded?.args.modelId).to.equal(42n);
      expect(decoded?.message).to.equal("UnknownModel(modelId=42): model 42 does not exist: check the model id");
    });
  }

  it("ignores calldata (a transaction's data is not revert data) and errors no protocol contract declares", function () {
    const calldata = new Interface(PROTOCOL_ABIS.ModelRegistry).encodeFunctionData("modelCount", []);
    expect(decodeRevert({ transaction: { data: calldata + "00".repeat(32) }, code: "CALL_EXCEPTION" })).to.equal(undefined);
    expect(decodeRevert({ code: "CALL_EXCEPTION", data: "0xdeadbeef" })).to.equal(undefined);
    expect(decodeRevert(new Error("nonce too low"))).to.equal(undefined);
  });
});

describe("decodeRevert: a real revert on Hardhat's network", function () {
  async function world(): Promise<World> {
    return deployWorld({ executors: 1, verifiers: 0 });
  }

  it("decodes a signer's failed transaction (estimateGas) by name and arguments", async function () {
    const w = await loadFixture(world);
    const err = await w.stakes
      .connect(w.others[0])
      .requestUnstake(Role.EXECUTOR, 5n * 10n ** 18n)
      .catch((e: unknown) => e);
    const decoded = decodeRevert(err, { contract: "StakeManager" });
    expect(decoded?.name).to.equal("InsufficientFreeStake");
    expect(decoded?.args).to.deep.equal({ requested: 5n * 10n ** 18n, free: 0n });
    expect(decoded?.contract).to.equal("StakeManager");
    expect(decoded?.message).to.match(/^InsufficientFreeStake\(requested=5000000000000000000, free=0\): you asked for 5\.0 tokens but only 0\.0 tokens/);
  });

  it("decodes a key-only wallet's request for a model that does not exist", async function () {
    const w = await loadFixture(world);
    const wallet = Wallet.createRandom().connect(ethers.provider);
    await (await w.admin.sendTransaction({ to: wallet.address, value: 10n ** 18n })).wait();
    const err = await w.jobs
      .connect(wallet)
      .requestInference(await requestParams({ modelId: 99 }))
      .catch((e: unknown) => e);
    expect(decodeRevert(err)?.name).to.equal("UnknownModel");
    expect(decodeRevert(err)?.hint).to.equal("model 99 does not exist: check the model id");
  });

  it("decodes a reverted eth_call", async function () {
    const w = await loadFixture(world);
    const err = await w.models.versionOf(w.modelId, 7).catch((e: unknown) => e);
    expect(decodeRevert(err)?.text).to.equal(`UnknownVersion(modelId=${w.modelId}, version=7)`);
  });
});

describe("progressIn: every event of a job's life is a typed progress event", function () {
  /** The events that name a job (or one of its disputes) but are not progress, on purpose (see JobProgress). */
  const NOT_PROGRESS = ["JobRequested", "CallbackExecuted", "AuditStarted"];
  const JOB_ID = 7n;
  const DISPUTE_ID = 3n;
  const sources = { jobRegistry: Wallet.createRandom().address, quorumManager: Wallet.createRandom().address, disputeManager: Wallet.createRandom().address };
  const contracts: [string, string][] = [
    ["JobRegistry", sources.jobRegistry],
    ["QuorumManager", sources.quorumManager],
    ["DisputeManager", sources.disputeManager],
  ];

  /** One log of every event of the three contracts whose inputs name a jobId or a disputeId, with sample values. */
  function jobLogs(): { name: string; log: Log }[] {
    const out: { name: string; log: Log }[] = [];
    for (const [contract, address] of contracts) {
      const iface = new Interface(PROTOCOL_ABIS[contract]);
      iface.forEachEvent((fragment: EventFragment) => {
        const names = fragment.inputs.map((p) => p.name);
        if (!names.includes("jobId") && !names.includes("disputeId")) return;
        const values = fragment.inputs.map((p, i) => (p.name === "jobId" ? JOB_ID : p.name === "disputeId" ? DISPUTE_ID : sample(p, i)));
        const { data, topics } = iface.encodeEventLog(fragment, values);
        const log = { address, data, topics, blockNumber: 10, transactionHash: ethers.ZeroHash, index: out.length };
        out.push({ name: fragment.name, log: log as unknown as Log });
      });
    }
    return out;
  }

  /** A provider whose getLogs answers from `logs` as a node would filter them (address, then topics by position). */
  function providerOf(logs: Log[]): Provider {
    const matches = (log: Log, filter: Filter): boolean => {
      const addresses = [filter.address ?? []].flat().map((a) => String(a).toLowerCase());
      if (addresses.length > 0 && !addresses.includes(log.address.toLowerCase())) return false;
      return (filter.topics ?? []).every((want, i) => want === null || [want].flat().includes(log.topics[i]));
    };
    return { getLogs: async (filter: Filter) => logs.filter((l) => matches(l, filter)) } as unknown as Provider;
  }

  it("reports each one once, by its own kind, with every field read, but JobRequested, CallbackExecuted and AuditStarted", async function () {
    const all = jobLogs();
    expect(all.map((e) => e.name)).to.include.members(["DrawArmed", "SeatForfeited", "JobTimedOut", "DrawRearmed", "RoundTallied"]);
    const reported = await progressIn(providerOf(all.map((e) => e.log)), sources, JOB_ID, 0, 100, new Set());
    const expected = all.filter((e) => !NOT_PROGRESS.includes(e.name));
    expect(reported.map((e) => e.logIndex)).to.deep.equal(expected.map((e) => e.log.index));
    expect(new Set(reported.map((e) => e.kind)).size, "one kind per event").to.equal(expected.length);
    for (const event of reported) {
      for (const [field, value] of Object.entries(event)) {
        if (value === undefined) expect(["challenger", "winner"], `${event.kind}.${field}`).to.include(field); // an audit's challenger, no majority's winner
        else if (typeof value === "number") expect(Number.isNaN(value), `${event.kind}.${field}`).to.equal(false);
      }
    }
  });
});

describe("errorText: the node's log line for a failure", function () {
  it("names a protocol revert with its arguments, and an uncoalesced JSON-RPC error by the endpoint's words", function () {
    const data = new Interface(PROTOCOL_ABIS.JobRegistry).encodeErrorResult("JobNotInStatus", [4, Status.Finalized]);
    expect(errorText(Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION", data }))).to.equal("JobNotInStatus(jobId=4, status=5)");
    const coalesce = Object.assign(new Error("could not coalesce error"), { code: "UNKNOWN_ERROR", shortMessage: "could not coalesce error", error: { code: -32000, message: "header not found" }, payload: { method: "eth_getLogs" } });
    expect(errorText(coalesce)).to.equal("the RPC endpoint answered eth_getLogs with error -32000: header not found");
    expect(errorText(Object.assign(new Error("long text"), { shortMessage: "short" }))).to.equal("short");
  });
});

/**
 * Walks the relative imports from `starts` (files of packages/node/src) and returns the imports that
 * are not browser-safe (any package but ethers, any file outside src) and every file reached.
 */
function browserWalk(starts: string[]): { bad: string[]; seen: Set<string> } {
  const src = path.join(__dirname, "..", "src");
  const typechain = path.join(src, "typechain");
  const bad: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec === "ethers") continue;
      if (!spec.startsWith(".")) {
        bad.push(`${path.relative(src, file)}: ${spec}`);
        continue;
      }
      const target = path.resolve(path.dirname(file), spec);
      if (target.startsWith(typechain + path.sep) || target === typechain) continue; // generated: ethers only
      const resolved = resolveTs(target);
      if (resolved === undefined || !resolved.startsWith(src + path.sep)) bad.push(`${path.relative(src, file)}: ${spec}`);
      else visit(resolved);
    }
  };
  starts.forEach(visit);
  return { bad, seen };
}

/** An import or re-export's specifier (m[1]), or a require() or import()'s (m[2]). */
const IMPORT = /^(?:import|export)(?:[^;"]*?from)?\s*"([^"]+)"|\b(?:require|import)\(\s*"([^"]+)"/gms;

/** The .ts file a relative import of `target` (an absolute path without extension) names, if any. */
function resolveTs(target: string): string | undefined {
  return [`${target}.ts`, path.join(target, "index.ts")].find((f) => fs.existsSync(f));
}

describe("sdk/: browser-safe", function () {
  const src = path.join(__dirname, "..", "src");

  it("reaches, through its imports, only ethers, the typechain types and browser-safe files of packages/node/src (no node: modules, no other package)", function () {
    const dir = path.join(src, "sdk");
    const { bad, seen } = browserWalk(fs.readdirSync(dir).filter((f) => f.endsWith(".ts")).map((f) => path.join(dir, f)));
    expect(bad).to.deep.equal([]);
    // The client reaches the codec, the tolerance rule and the content client: the walk did follow them.
    expect([...seen].map((f) => path.relative(src, f))).to.include.members(["codec/tensor.ts", "verify/tolerance.ts", "content/client.ts", "chain/leastFee.ts"]);
  });

  it("so are the files of packages/node/src the explorer's pages import (web/src), the runner's shared core among them", function () {
    const web = path.join(__dirname, "..", "web", "src");
    const pages = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pages(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : []));
    const starts = pages(web).flatMap((file) =>
      [...fs.readFileSync(file, "utf8").matchAll(IMPORT)]
        .map((m) => m[1] ?? m[2])
        .filter((spec) => spec.startsWith("."))
        .map((spec) => resolveTs(path.resolve(path.dirname(file), spec)))
        .filter((f): f is string => f !== undefined && f.startsWith(src + path.sep)),
    );
    const { bad, seen } = browserWalk([...new Set(starts)]);
    expect(bad).to.deep.equal([]);
    expect([...seen].map((f) => path.relative(src, f))).to.include.members(["runtime/ortModel.ts", "runtime/tensorFit.ts", "codec/tensor.ts", "sdk/index.ts"]);
  });
});
