import http from "node:http";
import net from "node:net";
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ethers, network } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { encryptKeystoreJsonSync, Wallet } from "ethers";
import { deployProtocol, type Protocol } from "../../../deploy/protocol";
import { oneLine, runCli, type CliIo } from "../src/cli";
import { ConfigError, envName, flagName, loadConfig, OPTIONS, OPTION_NAMES, type OptionName } from "../src/config";
import { checkChain, DeploymentError, parseDeployment, readDeployment, writeDeployment } from "../src/deployment";
import { KeyError, loadWallet } from "../src/keys";
import { decodeTensors } from "../src/codec/tensor";
import { tensorsToJson } from "../src/tensorJson";
import { ModelStore } from "../src/store/modelStore";
import { honestOutput, MLP_BYTES, MLP_DIGEST, RecordingLogger } from "./fixtures/roles";
import { programHash } from "../src/referee/program";
import { lowerProgram } from "../src/referee/steps";
import { refereeMlp, zooProgram } from "../src/referee/zoo";
import { refereeInputSpec } from "../src/referee/inputSpec";
import { defaultPolicy, nextEpoch } from "../../../test/fixtures/protocol";

const TOKEN = 10n ** 18n;
const tempDirs: string[] = [];
process.once("exit", () => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-cli-"));
  tempDirs.push(dir);
  return dir;
}

function writeJson(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
  return file;
}

const SAMPLE_JSON = { x: { dtype: "float32", shape: [1, 4], data: [0.5, -1, 2, 3.25] } };

interface CliWorld {
  protocol: Protocol;
  operator: Wallet;
  requester: Wallet;
  deploymentFile: string;
  modelFile: string;
  dir: string;
}

/** The protocol deployed by the first Hardhat signer, two funded key-only wallets, a deployment file and the MLP on disk. */
async function cliWorld(): Promise<CliWorld> {
  const [admin] = await ethers.getSigners();
  const block = await ethers.provider.getBlockNumber();
  const protocol = await deployProtocol(admin);
  const operator = new Wallet(ethers.hexlify(ethers.randomBytes(32)));
  const requester = new Wallet(ethers.hexlify(ethers.randomBytes(32)));
  for (const w of [operator, requester]) {
    await (await admin.sendTransaction({ to: w.address, value: 10n * TOKEN })).wait();
    await (await protocol.token.mint(w.address, 1_000n * TOKEN)).wait();
  }
  const dir = tmpDir();
  const deploymentFile = path.join(dir, "deployments", "hardhat.json");
  await writeDeployment(deploymentFile, protocol, 31337, block, "hardhat");
  const modelFile = path.join(dir, "mlp.onnx");
  fs.writeFileSync(modelFile, MLP_BYTES);
  return { protocol, operator, requester, deploymentFile, modelFile, dir };
}

interface Run {
  code: number;
  out: string;
  err: string;
}

/** Runs one command in-process on Hardhat's network (unless `io.provider` is set to undefined). */
async function cli(world: CliWorld, argv: string[], io: Partial<CliIo> = {}): Promise<Run> {
  let out = "";
  let err = "";
  const deployment = argv.includes("--deployment") ? [] : ["--deployment", world.deploymentFile];
  const code = await runCli([...argv, ...deployment], {
    stdout: (t) => (out += t),
    stderr: (t) => (err += t),
    env: { GLASSBOX_PRIVATE_KEY: world.requester.privateKey, OPERATOR_KEY: world.operator.privateKey },
    provider: ethers.provider,
    ...io,
  });
  return { code, out, err };
}

/** Asserts a failed run printed exactly one line on stderr, matching `pattern`, and nothing on stdout. */
function expectOneLine(run: Run, pattern: RegExp): void {
  expect(run.code, run.err).to.equal(1);
  expect(run.out).to.equal("");
  expect(run.err.endsWith("\n")).to.equal(true);
  expect(run.err.trimEnd().split("\n")).to.have.length(1);
  expect(run.err).to.match(pattern);
  expect(run.err).not.to.match(/\bat .*\.ts:\d+/); // no stack trace
}

async function register(world: CliWorld, dataDir: string, extra: string[] = []): Promise<number> {
  const run = await cli(world, ["model", "register", world.modelFile, "--data-dir", dataDir, ...extra]);
  expect(run.code, run.err).to.equal(0);
  return Number(run.out.trim());
}

describe("loadConfig: defaults and precedence", function () {
  it("gives every option its default when no source sets it", function () {
    const config = loadConfig({ env: {}, flags: {} });
    expect(config.rpc).to.equal("http://127.0.0.1:8545");
    expect(config.key).to.equal("GLASSBOX_PRIVATE_KEY");
    expect(config.keystore).to.equal(undefined);
    expect(config.deployment).to.equal(path.join("deployments", "localhost.json"));
    expect(config.roles).to.equal("both");
    expect(config.dataDir).to.equal(path.join(os.homedir(), ".glassbox"));
    for (const name of OPTION_NAMES) if (name !== "dataDir") expect(config[name]).to.equal(OPTIONS[name].default);
    // Outputs up to the contract's 12 KiB cap go inline by default; larger ones need outputBaseUrl.
    expect(config.inlineOutputBytes).to.equal(12 * 1024);
  });

  it("takes flags over environment variables over the JSON file over defaults", function () {
    const dir = tmpDir();
    const file = writeJson(dir, "glassbox.json", { rpc: "http://file:1", confirmations: 7, roles: "verifier", watchShare: 0.5 });
    const config = loadConfig({
      file,
      env: { GLASSBOX_RPC: "http://env:2", GLASSBOX_CONFIRMATIONS: "3" },
      flags: { rpc: "http://flag:3" },
    });
    expect(config.rpc).to.equal("http://flag:3");
    expect(config.confirmations).to.equal(3);
    expect(config.roles).to.equal("verifier");
    expect(config.watchShare).to.equal(0.5);
    expect(config.maxLogRange).to.equal(OPTIONS.maxLogRange.default);
  });

  it("names every option's environment variable GLASSBOX_<NAME> and its flag --kebab-name", function () {
    expect(envName("maxLogRange")).to.equal("GLASSBOX_MAX_LOG_RANGE");
    expect(flagName("maxLogRange")).to.equal("--max-log-range");
    expect(loadConfig({ env: { GLASSBOX_MAX_LOG_RANGE: "50" }, flags: {} }).maxLogRange).to.equal(50);
  });

  it("reads --models as a comma separated list, or a JSON array in the file, and refuses a repeated id", function () {
    expect(loadConfig({ env: {}, flags: { models: "2, 4" } }).models).to.deep.equal([2, 4]);
    expect(loadConfig({ env: { GLASSBOX_MODELS: "7" }, flags: {} }).models).to.deep.equal([7]);
    expect(loadConfig({ file: writeJson(tmpDir(), "m.json", { models: [1, "3"] }), env: {}, flags: {} }).models).to.deep.equal([1, 3]);
    expect(() => loadConfig({ env: {}, flags: { models: "1,1" } })).to.throw(ConfigError, /model 1 is listed twice; allowed: model ids/);
    expect(() => loadConfig({ env: {}, flags: { models: "0" } })).to.throw(ConfigError, /"0" is not a model id; allowed: model ids/);
  });

  it("expands ~ in the data directory", function () {
    expect(loadConfig({ env: {}, flags: { dataDir: "~/gb" } }).dataDir).to.equal(path.join(os.homedir(), "gb"));
  });
});

describe("loadConfig: a bad value is a ConfigError naming the option and what is allowed", function () {
  const bad: Record<OptionName, string> = {
    rpc: "ftp://example.org",
    key: "MY-KEY",
    keystore: "",
    deployment: "  ",
    roles: "all",
    models: "1,x",
    dataDir: "",
    confirmations: "-1",
    pollIntervalMs: "five",
    maxLogRange: "0",
    ipfsGateway: "not a url",
    maxModelBytes: "1.5",
    maxInputBytes: "0",
    allowFileInputs: "maybe",
    allowPrivateUris: "sometimes",
    outputBaseUrl: "ipfs://outputs",
    inlineOutputBytes: "12289", // one byte over the contract's 12 KiB inline cap
    metricsPort: "70000",
    watchShare: "1.5",
    feeBumpPercent: "5",
    replaceAfterMs: "1",
    maxTxAttempts: "0",
    logLevel: "loud",
  };
  for (const name of OPTION_NAMES) {
    it(`rejects ${flagName(name)} ${JSON.stringify(bad[name])}`, function () {
      const attempt = () => loadConfig({ env: {}, flags: { [name]: bad[name] } });
      expect(attempt).to.throw(ConfigError).with.property("option", name);
      expect(attempt).to.throw(new RegExp(`^bad ${name} \\(flag ${flagName(name)}\\): `));
      if (!["keystore", "deployment", "dataDir"].includes(name)) expect(attempt).to.throw(/allowed/);
    });
  }

  it("says where a bad value came from: the environment or the file", function () {
    expect(() => loadConfig({ env: { GLASSBOX_ROLES: "all" }, flags: {} })).to.throw(ConfigError, /environment variable GLASSBOX_ROLES/);
    const file = writeJson(tmpDir(), "c.json", { confirmations: "many" });
    expect(() => loadConfig({ file, env: {}, flags: {} })).to.throw(ConfigError, /config file .*c\.json.*allowed: an integer/);
  });

  it("refuses a private key given where the NAME of its environment variable belongs, without echoing it", function () {
    const key = Wallet.createRandom().privateKey;
    const attempt = () => loadConfig({ env: {}, flags: { key } });
    expect(attempt).to.throw(ConfigError, /looks like a private key/);
    try {
      attempt();
    } catch (err) {
      expect((err as Error).message).not.to.contain(key.slice(2));
    }
  });

  it("refuses an unknown option, a file that is not JSON, and a missing file", function () {
    const dir = tmpDir();
    expect(() => loadConfig({ file: writeJson(dir, "a.json", { rcp: "http://x" }), env: {}, flags: {} }))
      .to.throw(ConfigError, /unknown option "rcp"/)
      .with.property("option", "rcp");
    expect(() => loadConfig({ file: writeJson(dir, "b.json", "{ rpc: "), env: {}, flags: {} })).to.throw(ConfigError, /is not JSON/);
    expect(() => loadConfig({ file: writeJson(dir, "c.json", "[1]"), env: {}, flags: {} })).to.throw(ConfigError, /must hold a JSON object/);
    expect(() => loadConfig({ file: path.join(dir, "none.json"), env: {}, flags: {} })).to.throw(ConfigError, /cannot read config file .*ENOENT/);
  });
});

describe("keys: where the private key comes from", function () {
  const wallet = Wallet.createRandom();

  it("reads the key from GLASSBOX_PRIVATE_KEY, or from the variable --key names", async function () {
    const a = await loadWallet({ key: "GLASSBOX_PRIVATE_KEY", keystore: undefined }, { GLASSBOX_PRIVATE_KEY: wallet.privateKey });
    expect(a.address).to.equal(wallet.address);
    const b = await loadWallet({ key: "OTHER", keystore: undefined }, { OTHER: wallet.privateKey.slice(2) });
    expect(b.address).to.equal(wallet.address);
  });

  it("says how to provide a key when there is none, and refuses a malformed one without echoing it", async function () {
    await expectKeyError(loadWallet({ key: "GLASSBOX_PRIVATE_KEY", keystore: undefined }, {}), /^no key: set GLASSBOX_PRIVATE_KEY or --keystore FILE$/);
    await expectKeyError(loadWallet({ key: "K", keystore: undefined }, { K: "0x1234" }), /^K is not a private key/);
  });

  it("decrypts an encrypted JSON keystore with GLASSBOX_KEYSTORE_PASSWORD", async function () {
    const dir = tmpDir();
    const file = writeJson(dir, "key.json", encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, "pw", { scrypt: { N: 16 } }));
    const loaded = await loadWallet({ key: "GLASSBOX_PRIVATE_KEY", keystore: file }, { GLASSBOX_KEYSTORE_PASSWORD: "pw" });
    expect(loaded.address).to.equal(wallet.address);
    await expectKeyError(loadWallet({ key: "X", keystore: file }, {}), /needs its password: set GLASSBOX_KEYSTORE_PASSWORD/);
    await expectKeyError(loadWallet({ key: "X", keystore: file }, { GLASSBOX_KEYSTORE_PASSWORD: "nope" }), /wrong password/);
  });

  it("refuses a plain key file given as a keystore, and a missing keystore", async function () {
    const dir = tmpDir();
    const plain = writeJson(dir, "plain.txt", wallet.privateKey);
    await expectKeyError(loadWallet({ key: "X", keystore: plain }, { GLASSBOX_KEYSTORE_PASSWORD: "pw" }), /is not an encrypted JSON keystore/);
    await expectKeyError(loadWallet({ key: "X", keystore: path.join(dir, "none.json") }, {}), /cannot read keystore .*ENOENT/);
  });
});

describe("glassbox --keystore", function () {
  it("signs with the key of an encrypted keystore given on the command line", async function () {
    const world = await loadFixture(cliWorld);
    const w = world.operator;
    const file = writeJson(tmpDir(), "ks.json", encryptKeystoreJsonSync({ address: w.address, privateKey: w.privateKey }, "s3cret", { scrypt: { N: 16 } }));
    const run = await cli(world, ["node", "status", "--keystore", file], { env: { GLASSBOX_KEYSTORE_PASSWORD: "s3cret" } });
    expect(run.code, run.err).to.equal(0);
    expect(JSON.parse(run.out)).to.include({ address: w.address, tokens: "1000.0" });
    expectOneLine(await cli(world, ["node", "status", "--keystore", file], { env: {} }), /^glassbox: keystore .*ks\.json needs its password: set GLASSBOX_KEYSTORE_PASSWORD\n$/);
  });
});

async function expectKeyError(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  expect(caught).to.be.instanceOf(KeyError);
  expect((caught as Error).message).to.match(pattern);
}

describe("deployment file: validation and chain check", function () {
  it("round-trips what writeDeployment wrote, with checksummed addresses", async function () {
    const world = await loadFixture(cliWorld);
    const d = readDeployment(world.deploymentFile);
    expect(d.chainId).to.equal(31337);
    expect(d.network).to.equal("hardhat");
    expect(d.contracts.jobRegistry).to.equal(await world.protocol.jobs.getAddress());
    for (const address of Object.values(d.contracts)) expect(address).to.equal(ethers.getAddress(address));
    await checkChain(d, ethers.provider, world.deploymentFile);
  });

  it("names the field at fault in a malformed file", async function () {
    const world = await loadFixture(cliWorld);
    const good = JSON.parse(fs.readFileSync(world.deploymentFile, "utf8")) as { contracts: Record<string, string> };
    const withContracts = (contracts: Record<string, string>) => ({ ...good, contracts });
    const { token, ...noToken } = good.contracts;
    expect(token).to.be.a("string");
    expect(() => parseDeployment(withContracts(noToken), "f")).to.throw(DeploymentError, /contracts\.token is missing/);
    const badSum = good.contracts.jobRegistry.slice(0, 2) + swapCase(good.contracts.jobRegistry.slice(2));
    expect(() => parseDeployment(withContracts({ ...good.contracts, jobRegistry: badSum }), "f")).to.throw(DeploymentError, /contracts\.jobRegistry .* valid checksum/);
    expect(() => parseDeployment({ ...good, chainId: "31337" }, "f")).to.throw(DeploymentError, /chainId must be a positive integer/);
    expect(() => parseDeployment({ ...good, deploymentBlock: -1 }, "f")).to.throw(DeploymentError, /deploymentBlock/);
    expect(() => parseDeployment([], "f")).to.throw(DeploymentError, /root must be a JSON object/);
    expect(() => readDeployment(writeJson(tmpDir(), "d.json", "{"))).to.throw(DeploymentError, /is not JSON/);
  });

  it("refuses an RPC endpoint on another chain", async function () {
    const world = await loadFixture(cliWorld);
    const d = { ...readDeployment(world.deploymentFile), chainId: 1 };
    let caught: unknown;
    try {
      await checkChain(d, ethers.provider, "d.json");
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(DeploymentError);
    expect((caught as Error).message).to.equal("chain id mismatch: the RPC is on chain 31337 but d.json is for chain 1 (hardhat)");
  });
});

function swapCase(s: string): string {
  return [...s].map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())).join("");
}

describe("glassbox --help", function () {
  it("lists every configuration option with its flag, environment variable and description", async function () {
    const world = await loadFixture(cliWorld);
    const run = await cli(world, ["node", "start", "--help"]);
    expect(run.code).to.equal(0);
    for (const name of OPTION_NAMES) {
      expect(run.out).to.contain(flagName(name));
      expect(run.out).to.contain(envName(name));
      expect(run.out.replace(/\s+/g, " ")).to.contain(OPTIONS[name].description);
    }
  });
});

describe("glassbox node stake|unstake|status", function () {
  it("approves and stakes, starts unbonding, and reports the stake as JSON", async function () {
    const world = await loadFixture(cliWorld);
    const key = ["--key", "OPERATOR_KEY"];
    const staked = await cli(world, ["node", "stake", "executor", "150", ...key]);
    expect(staked.code, staked.err).to.equal(0);
    expect(staked.out).to.equal("staked 150 as executor; active stake 150.0\n");
    const unbonding = await cli(world, ["node", "unstake", "executor", "30", ...key]);
    expect(unbonding.code, unbonding.err).to.equal(0);
    expect(unbonding.out).to.match(/^unbonding 30\.0 as executor; withdrawable at \d{4}-/);
    const early = await cli(world, ["node", "withdraw", "executor", ...key]);
    expectOneLine(early, /^glassbox: StillUnbonding\(releaseAt=\d+, nowTime=\d+\): the unbonding ends at \d{4}-\S+ \(chain time\): withdraw after that\n$/);
    const status = await cli(world, ["node", "status", ...key]);
    expect(status.code, status.err).to.equal(0);
    const json = JSON.parse(status.out) as Record<string, Record<string, unknown> | string | number>;
    expect(json.address).to.equal(world.operator.address);
    expect(json.tokens).to.equal("850.0");
    expect(json.executor).to.include({ active: "120.0", unbonding: "30.0", eligible: true, jailed: false });
    expect(json.verifier).to.include({ active: "0.0", eligible: false });
  });

  it("refuses an unknown role and a non-numeric amount in one line", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["node", "stake", "miner", "1"]), /^glassbox: role "miner" is not one of executor, verifier\n$/);
    expectOneLine(await cli(world, ["node", "stake", "verifier", "lots"]), /^glassbox: amount "lots" is not a token amount/);
  });
});

describe("glassbox node opt-in|opt-out: an executor is drawn only for the models it opted in to", function () {
  const key = ["--key", "OPERATOR_KEY"];
  const ISO = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

  /** The chain time at which the stake epoch after the current one starts. */
  async function nextEpochStart(world: CliWorld): Promise<number> {
    const stakes = world.protocol.stakes;
    return (Number(await stakes.currentEpoch()) + 1) * Number(await stakes.EPOCH_LENGTH());
  }

  it("opts a staked executor in to a registered model, says from when it counts, shows it in status, and opts it out again", async function () {
    const world = await loadFixture(cliWorld);
    const modelId = await register(world, tmpDir());
    expect((await cli(world, ["node", "stake", "executor", "200", ...key])).code).to.equal(0);
    const start = new Date((await nextEpochStart(world)) * 1000).toISOString();
    const joined = await cli(world, ["node", "opt-in", "--model", String(modelId), ...key]);
    expect(joined.code, joined.err).to.equal(0);
    expect(joined.out).to.match(new RegExp(`^opted in to model 1; drawn for its jobs from the next stake epoch, which starts at ${ISO} \\(chain time, in \\d+ s\\); opted in to: 1\\n$`));
    expect(joined.out).to.contain(`starts at ${start}`);
    const stakes = world.protocol.stakes;
    expect(await stakes.modelsOf(world.operator.address)).to.deep.equal([1n]);
    // The pool holds the executor's stake now; this epoch's snapshot does not see it.
    expect(await stakes.weightOf(world.operator.address, 0, 1n)).to.equal(200n * TOKEN);
    const status = await cli(world, ["node", "status", ...key]);
    expect(status.code, status.err).to.equal(0);
    expect((JSON.parse(status.out) as { executor: { models: number[] } }).executor.models).to.deep.equal([1]);

    const left = await cli(world, ["node", "opt-out", "--model", String(modelId), ...key]);
    expect(left.code, left.err).to.equal(0);
    expect(left.out).to.match(new RegExp(`^opted out of model 1 from the next stake epoch, which starts at ${ISO} \\(chain time, in \\d+ s\\); draws armed before then can still give you its jobs until ${ISO} \\(chain time\\): keep serving them until then; opted in to: none\\n$`));
    expect(await stakes.modelsOf(world.operator.address)).to.deep.equal([]);
    expect(await stakes.weightOf(world.operator.address, 0, 1n)).to.equal(0n);
    expect((JSON.parse((await cli(world, ["node", "status", ...key])).out) as { executor: { models: number[] } }).executor.models).to.deep.equal([]);
  });

  it("opts in a key without executor stake, and says it is not drawn until it stakes", async function () {
    const world = await loadFixture(cliWorld);
    const modelId = await register(world, tmpDir());
    const run = await cli(world, ["node", "opt-in", "--model", String(modelId)]);
    expect(run.code, run.err).to.equal(0);
    const lines = run.out.trimEnd().split("\n");
    expect(lines).to.have.length(2);
    expect(lines[0]).to.match(/^opted in to model 1; drawn for its jobs from the next stake epoch/);
    expect(lines[1]).to.equal("note: this key is not drawn yet: its active executor stake 0.0 is below the minimum 100.0; stake with glassbox node stake executor <amount>");
  });

  it("refuses a model the registry does not have, and an id that is not one, before sending anything", async function () {
    const world = await loadFixture(cliWorld);
    await register(world, tmpDir());
    const before = await ethers.provider.getTransactionCount(world.operator.address);
    expectOneLine(await cli(world, ["node", "opt-in", "--model", "7", ...key]), /^glassbox: model 7 does not exist \(the registry has 1 model\)\n$/);
    expectOneLine(await cli(world, ["node", "opt-in", "--model", "one", ...key]), /^glassbox: model id "one" is not an id \(a positive integer\)\n$/);
    expect(await ethers.provider.getTransactionCount(world.operator.address)).to.equal(before);
    expect(await world.protocol.stakes.modelsOf(world.operator.address)).to.deep.equal([]);
  });

  it("refuses a second opt-in to the same model, naming the models the key is in", async function () {
    const world = await loadFixture(cliWorld);
    const modelId = await register(world, tmpDir());
    expect((await cli(world, ["node", "opt-in", "--model", String(modelId), ...key])).code).to.equal(0);
    expectOneLine(await cli(world, ["node", "opt-in", "--model", String(modelId), ...key]), /^glassbox: already opted in to model 1 \(opted in to: 1\); nothing to do\n$/);
  });

  it("refuses an opt-out of a model the key is not in", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["node", "opt-out", "--model", "1", ...key]), /^glassbox: not opted in to model 1 \(opted in to: none\); nothing to do\n$/);
    const modelId = await register(world, tmpDir());
    expect((await cli(world, ["node", "opt-in", "--model", String(modelId), ...key])).code).to.equal(0);
    expectOneLine(await cli(world, ["node", "opt-out", "--model", "2", ...key]), /^glassbox: not opted in to model 2 \(opted in to: 1\); nothing to do\n$/);
  });

  it("refuses a ninth model and says how to make room", async function () {
    const world = await loadFixture(cliWorld);
    const owner = world.protocol.models.connect(world.operator.connect(ethers.provider));
    for (let i = 0; i < 9; i++) await (await owner.registerModel(ethers.id(`model-${i}`), `ipfs://model-${i}`, defaultPolicy())).wait();
    for (let id = 1; id <= 8; id++) expect((await cli(world, ["node", "opt-in", "--model", String(id), ...key])).code).to.equal(0);
    expectOneLine(
      await cli(world, ["node", "opt-in", "--model", "9", ...key]),
      /^glassbox: already opted in to 8 models \(1, 2, 3, 4, 5, 6, 7, 8\), the most an executor may: leave one first with glassbox node opt-out --model <id>\n$/,
    );
    expect((await cli(world, ["node", "opt-out", "--model", "3", ...key])).code).to.equal(0);
    expect((await cli(world, ["node", "opt-in", "--model", "9", ...key])).code).to.equal(0);
  });

  it("lists opt-in and opt-out in the node's help", async function () {
    const world = await loadFixture(cliWorld);
    const run = await cli(world, ["node", "--help"]);
    expect(run.code).to.equal(0);
    expect(run.out).to.match(/opt-in \[options\]\s+join a model's executor pool/);
    expect(run.out).to.match(/opt-out \[options\]\s+leave a model's executor pool/);
  });
});

describe("glassbox node start: an executor warns for the models it is not opted in to", function () {
  const key = ["--key", "OPERATOR_KEY"];

  /** Starts `glassbox node start` as an executor, waits until it is ready, stops it; returns its log. */
  async function startAndStop(world: CliWorld, extra: string[]): Promise<{ logger: RecordingLogger; run: Run }> {
    const logger = new RecordingLogger("cli-node");
    const abort = new AbortController();
    const flags = ["--roles", "executor", "--confirmations", "0", "--poll-interval-ms", "20", "--data-dir", tmpDir(), "--metrics-port", "0", ...key, ...extra];
    const serving = cli(world, ["node", "start", ...flags], { signal: abort.signal, logger });
    const until = Date.now() + 20_000;
    while (!logger.lines.some((l) => l.msg === "node ready") && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    abort.abort();
    const run = await serving;
    expect(run.code, run.err).to.equal(0);
    return { logger, run };
  }

  const warnings = (logger: RecordingLogger) => logger.lines.filter((l) => l.level === "warn" && l.line.at === "Node.init").map((l) => l.msg);

  it("with --models, warns for each model it is not opted in to and for one that does not exist", async function () {
    const world = await loadFixture(cliWorld);
    const first = await register(world, tmpDir());
    expect((await cli(world, ["node", "stake", "executor", "200", ...key])).code).to.equal(0);
    const { logger } = await startAndStop(world, ["--models", `${first},5`]);
    expect(warnings(logger)).to.deep.equal([
      "not opted in to model 1: this executor is never drawn for its jobs; opt in with: glassbox node opt-in --model 1 (it counts from the next stake epoch)",
      "model 5 (in models) does not exist: the registry has 1 model; check the models option",
    ]);

    expect((await cli(world, ["node", "opt-in", "--model", String(first), ...key])).code).to.equal(0);
    const again = await startAndStop(world, ["--models", String(first)]);
    expect(warnings(again.logger)).to.deep.equal([]);
    expect(again.logger.lines.find((l) => l.msg === "node ready")?.line).to.deep.include({ models: [1] });
  });

  it("without --models, warns only when it is opted in to no model", async function () {
    const world = await loadFixture(cliWorld);
    const modelId = await register(world, tmpDir());
    const { logger } = await startAndStop(world, []);
    expect(warnings(logger)).to.deep.equal([
      "this executor is opted in to no model, so it is never drawn for a job: opt in to each model it serves with glassbox node opt-in --model <id> (it counts from the next stake epoch)",
    ]);
    expect((await cli(world, ["node", "opt-in", "--model", String(modelId), ...key])).code).to.equal(0);
    expect(warnings((await startAndStop(world, [])).logger)).to.deep.equal([]);
  });

  it("as a verifier only, checks nothing", async function () {
    const world = await loadFixture(cliWorld);
    const { logger } = await startAndStop(world, ["--roles", "verifier"]);
    expect(warnings(logger)).to.deep.equal([]);
  });
});

describe("glassbox explorer: indexes the deployment and serves its API and pages until stopped", function () {
  /** Starts `glassbox explorer`, waits for its address line, returns it with the run. */
  async function startExplorerCli(world: CliWorld, extra: string[]): Promise<{ url: string; stop: () => Promise<Run>; out: () => string }> {
    const abort = new AbortController();
    let out = "";
    const serving = runCli(["explorer", "--deployment", world.deploymentFile, "--port", "0", "--confirmations", "0", "--poll-interval-ms", "20", ...extra], {
      stdout: (t) => (out += t),
      stderr: (t) => (out += t),
      env: {},
      provider: ethers.provider,
      signal: abort.signal,
    });
    const until = Date.now() + 20_000;
    while (!/explorer (http:\/\/\S+)/.test(out) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    const url = /explorer (http:\/\/\S+)/.exec(out)?.[1];
    expect(url, out).to.be.a("string");
    return {
      url: url as string,
      out: () => out,
      stop: async () => {
        abort.abort();
        const code = await serving;
        return { code, out, err: "" };
      },
    };
  }

  it("prints its address, answers the API from its index file, and stops on the signal", async function () {
    const world = await loadFixture(cliWorld);
    await register(world, tmpDir());
    const db = path.join(tmpDir(), "index.sqlite");
    const explorer = await startExplorerCli(world, ["--db", db, "--public-rpc", "https://rpc.example"]);
    expect(explorer.out()).to.contain(`(index ${db}; pages read the chain at https://rpc.example)`);
    const head = await ethers.provider.getBlockNumber();
    let models: { total: number } = { total: 0 };
    for (const until = Date.now() + 20_000; models.total === 0 && Date.now() < until; ) {
      models = (await (await fetch(`${explorer.url}/api/models`)).json()) as { total: number };
      if (models.total === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(models.total).to.equal(1);
    const config = (await (await fetch(`${explorer.url}/api/config`)).json()) as { rpcUrl: string; chainId: number };
    expect(config).to.deep.include({ rpcUrl: "https://rpc.example", chainId: 31337 });
    const summary = (await (await fetch(`${explorer.url}/api/summary`)).json()) as { indexedBlock: number };
    expect(summary.indexedBlock).to.be.at.least(head);
    const run = await explorer.stop();
    expect(run.code).to.equal(0);
    expect(run.out).to.contain("explorer stopped");
    expect(fs.existsSync(db)).to.equal(true);
  });

  it("refuses a bad --port and a --public-rpc that is no http(s) URL, in one line", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["explorer", "--port", "70000"]), /--port must be a port number from 0 to 65535, not "70000"/);
    expectOneLine(await cli(world, ["explorer", "--port", "0", "--public-rpc", "ws://x"]), /--public-rpc must be an http\(s\) URL that visitors' browsers can reach, not "ws:\/\/x"/);
  });

  it("names a port that is taken and how to choose another", async function () {
    const world = await loadFixture(cliWorld);
    const first = await startExplorerCli(world, ["--data-dir", tmpDir()]);
    const port = new URL(first.url).port;
    try {
      expectOneLine(await cli(world, ["explorer", "--port", port, "--data-dir", tmpDir()]), new RegExp(`port ${port} is taken: pass --port N \\(0 picks a free one\\)`));
    } finally {
      await first.stop();
    }
  });
});

describe("glassbox model register and model info", function () {
  it("hashes, caches and registers the file, prints its id, and model info reads it back", async function () {
    const world = await loadFixture(cliWorld);
    const dataDir = tmpDir();
    const id = await register(world, dataDir, ["--modes", "none,optimistic", "--audit-rate", "750", "--abs-tol", "0.001", "--rel-tol", "0.01", "--min-fee", "0.5", "--max-input", "1024"]);
    expect(id).to.equal(1);
    const cached = new ModelStore(path.join(dataDir, "models")).cachePath(MLP_DIGEST);
    expect(fs.readFileSync(cached)).to.deep.equal(Buffer.from(MLP_BYTES));

    const info = await cli(world, ["model", "info", String(id)], { env: {} }); // a read needs no key
    expect(info.code, info.err).to.equal(0);
    expect(JSON.parse(info.out)).to.deep.equal({
      id: 1,
      owner: world.requester.address,
      versions: [{ version: 1, digest: MLP_DIGEST, uri: `file://${path.resolve(cached)}`, deprecated: false, program: null }],
      policy: {
        modes: ["none", "optimistic"],
        exact: false,
        auditRateBps: 750,
        maxInputBytes: 1024,
        runtimeSeconds: 0,
        minFee: "0.5",
        absTolerance: 0.001,
        relTolerance: 0.01,
        schemaHash: ethers.ZeroHash,
      },
    });
  });

  it("registers the URI given with --uri", async function () {
    const world = await loadFixture(cliWorld);
    const id = await register(world, tmpDir(), ["--uri", "ipfs://bafy-mlp"]);
    expect((await world.protocol.models.versionOf(id, 1)).uri).to.equal("ipfs://bafy-mlp");
  });

  it("fails in one line for a model id that does not exist and for a second registration of the same bytes", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["model", "info", "7"]), /^glassbox: model 7 does not exist \(the registry has 0 models\)\n$/);
    const dataDir = tmpDir();
    await register(world, dataDir);
    expectOneLine(
      await cli(world, ["model", "register", world.modelFile, "--data-dir", dataDir]),
      /^glassbox: DigestAlreadyRegistered\(digest=0x[0-9a-f]{64}, modelId=1, version=1\): these model bytes are already registered as model 1 version 1: use that id\n$/,
    );
  });

  it("refuses in one line, before sending anything, QUORUM without --exact and an audit rate the registry would refuse", async function () {
    const world = await loadFixture(cliWorld);
    const dataDir = tmpDir();
    expectOneLine(await cli(world, ["model", "register", world.modelFile, "--data-dir", dataDir, "--modes", "none,quorum"]), /^glassbox: --modes quorum needs --exact: QUORUM compares/);
    expectOneLine(await cli(world, ["model", "register", world.modelFile, "--data-dir", dataDir, "--audit-rate", "100"]), /^glassbox: --audit-rate "100" must be an integer from 500 to 2000\n$/);
    expectOneLine(await cli(world, ["model", "register", world.modelFile, "--data-dir", dataDir, "--audit-rate", "2500"]), /^glassbox: --audit-rate "2500" must be an integer from 500 to 2000\n$/);
    expect(await world.protocol.models.modelCount()).to.equal(0n);
  });
});

describe("glassbox model register --refereeable, model program declare, and node opt-in on a refereeable model", function () {
  this.timeout(120_000);
  const key = ["--key", "OPERATOR_KEY"];

  /** The zoo's refereeable MLP (seed `seed`) on disk, and the hashes this node's compiler gives it. */
  function refereeableFile(world: CliWorld, seed: number): { file: string; program: { programHash: string; stepsHash: string; steps: number; inputSpec: string } } {
    const model = refereeMlp(seed);
    const file = path.join(world.dir, `referee-mlp-${seed}.onnx`);
    fs.writeFileSync(file, model.onnx);
    const program = zooProgram(model);
    return {
      file,
      program: { programHash: programHash(program), stepsHash: lowerProgram(program).stepsHash, steps: lowerProgram(program).steps.length, inputSpec: refereeInputSpec("x", "uint8", [1, 784]) },
    };
  }

  it("registers an exact model with version 1 declared refereeable, model info shows the program, and opt-in reproduces it first", async function () {
    const world = await loadFixture(cliWorld);
    const { file, program } = refereeableFile(world, 1);
    const run = await cli(world, ["model", "register", file, "--data-dir", tmpDir(), "--exact", "--modes", "none,optimistic,quorum", "--refereeable"]);
    expect(run.code, run.err).to.equal(0);
    const id = Number(run.out.trim());
    expect(await world.protocol.models.programOf(id, 1)).to.deep.equal([program.programHash, program.stepsHash, BigInt(program.steps), program.inputSpec]);
    const info = JSON.parse((await cli(world, ["model", "info", String(id)], { env: {} })).out) as { versions: { program: unknown }[] };
    expect(info.versions[0].program).to.deep.equal(program);

    const joined = await cli(world, ["node", "opt-in", "--model", String(id), ...key]);
    expect(joined.code, joined.err).to.equal(0);
    expect(joined.out.split("\n")[0]).to.equal(
      `model ${id} version 1 is refereeable: this node compiles it to the declared program ${program.programHash} (steps hash ${program.stepsHash}, ${program.steps} steps)`,
    );
    expect(await world.protocol.stakes.modelsOf(world.operator.address)).to.deep.equal([BigInt(id)]);
  });

  it("refuses an opt-in, sending nothing, when a live version declares hashes this node's compiler does not give its ONNX", async function () {
    const world = await loadFixture(cliWorld);
    const { file } = refereeableFile(world, 2);
    const other = refereeableFile(world, 3).program; // another model's program, declared on this one's bytes
    const id = Number((await cli(world, ["model", "register", file, "--data-dir", tmpDir(), "--exact", "--modes", "none,optimistic"])).out.trim());
    await (await world.protocol.models.connect(world.requester.connect(ethers.provider)).declareProgram(id, 1, other)).wait();
    const before = await ethers.provider.getTransactionCount(world.operator.address);
    expectOneLine(
      await cli(world, ["node", "opt-in", "--model", String(id), ...key]),
      new RegExp(`^glassbox: model ${id} version 1 declares programHash ${other.programHash}, but its ONNX compiles here to 0x[0-9a-f]{64}: not opting in`),
    );
    expect(await ethers.provider.getTransactionCount(world.operator.address)).to.equal(before);
    expect(await world.protocol.stakes.modelsOf(world.operator.address)).to.deep.equal([]);

    // A deprecated version takes no jobs: its declaration no longer stands in the way of a version that reproduces.
    const requester = ["--data-dir", tmpDir()];
    const second = refereeableFile(world, 4);
    const published = await cli(world, ["model", "version", "publish", String(id), second.file, "--refereeable", ...requester]);
    expect(published.code, published.err).to.equal(0);
    expect(published.out).to.equal("2\n");
    expect((await cli(world, ["model", "version", "deprecate", String(id), "1"])).code).to.equal(0);
    const joined = await cli(world, ["node", "opt-in", "--model", String(id), ...key]);
    expect(joined.code, joined.err).to.equal(0);
    expect(joined.out).to.contain(`model ${id} version 2 is refereeable: this node compiles it to the declared program ${second.program.programHash}`);
  });

  it("declares a published version with model program declare, after checking the file is that version's bytes", async function () {
    const world = await loadFixture(cliWorld);
    const { file, program } = refereeableFile(world, 5);
    const id = Number((await cli(world, ["model", "register", file, "--data-dir", tmpDir(), "--exact", "--modes", "none"])).out.trim());
    const wrong = refereeableFile(world, 6).file;
    expectOneLine(await cli(world, ["model", "program", "declare", String(id), "1", wrong]), new RegExp(`referee-mlp-6\\.onnx is not version 1 of model ${id}: its SHA-256 is 0x[0-9a-f]{64}, the version's is 0x[0-9a-f]{64}`));
    const run = await cli(world, ["model", "program", "declare", String(id), "1", file]);
    expect(run.code, run.err).to.equal(0);
    expect(JSON.parse(run.out)).to.deep.equal({ modelId: id, version: 1, ...program });
    expectOneLine(await cli(world, ["model", "program", "declare", String(id), "1", file]), /ProgramAlreadyDeclared\(modelId=1, version=1\): version 1 of model 1 already declared its program, which never changes: publish a new version/);
  });

  it("refuses --refereeable without --exact, and a model that is not an integer program, before registering anything", async function () {
    const world = await loadFixture(cliWorld);
    const { file } = refereeableFile(world, 7);
    expectOneLine(await cli(world, ["model", "register", file, "--data-dir", tmpDir(), "--refereeable"]), /^glassbox: --refereeable needs --exact: the referee recomputes integers bit for bit/);
    expectOneLine(await cli(world, ["model", "register", world.modelFile, "--data-dir", tmpDir(), "--exact", "--modes", "none", "--refereeable"]), /mlp\.onnx cannot be refereed: .*explicit integer operators/);
    expect(await world.protocol.models.modelCount()).to.equal(0n);
  });

  it("a version published without --refereeable, or a model whose policy is inexact, opts in without any check", async function () {
    const world = await loadFixture(cliWorld);
    const id = await register(world, tmpDir());
    const joined = await cli(world, ["node", "opt-in", "--model", String(id), ...key]);
    expect(joined.code, joined.err).to.equal(0);
    expect(joined.out).to.not.contain("refereeable");
  });
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Registers the MLP, stakes the operator as an executor and starts `glassbox node start` for it
 * in-process on a free metrics port (plus `extra(port)` flags); abort `abort` to stop it.
 */
async function servingExecutor(world: CliWorld, extra: (port: number) => string[] = () => []) {
  const modelId = await register(world, tmpDir());
  const key = ["--key", "OPERATOR_KEY"];
  expect((await cli(world, ["node", "stake", "executor", "200", ...key])).code).to.equal(0);
  // An executor is drawn only for the models it opted in to.
  expect((await cli(world, ["node", "opt-in", "--model", String(modelId), ...key])).code).to.equal(0);
  // Executor seats are drawn from the stake snapshot of the request's epoch: a new stake (and opt-in) serves from the next one.
  await nextEpoch(world.protocol);
  const logger = new RecordingLogger("cli-node");
  const abort = new AbortController();
  const port = await freePort();
  const nodeFlags = ["--roles", "executor", "--confirmations", "0", "--poll-interval-ms", "20", "--data-dir", tmpDir(), "--metrics-port", String(port), ...key, ...extra(port)];
  const serving = cli(world, ["node", "start", ...nodeFlags], { signal: abort.signal, logger });
  // A live chain keeps producing blocks; a request's executor draw waits for one after its target.
  await network.provider.send("evm_setIntervalMining", [200]);
  abort.signal.addEventListener("abort", () => void network.provider.send("evm_setIntervalMining", [0]), { once: true });
  return { modelId, logger, abort, port, serving };
}

describe("glassbox job request --wait, served by glassbox node start", function () {
  it("stakes, serves the job, prints the job id and the model's outputs, and job status/result agree", async function () {
    const world = await loadFixture(cliWorld);
    const { modelId, logger, abort, port, serving } = await servingExecutor(world);
    try {
      const input = writeJson(tmpDir(), "input.json", SAMPLE_JSON);
      const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--mode", "none", "--wait", "--wait-timeout", "30", "--poll-interval-ms", "20"]);
      expect(run.code, run.err).to.equal(0);
      const [jobLine, ...rest] = run.out.split("\n");
      expect(jobLine).to.equal("1");
      const expected = tensorsToJson(decodeTensors(await honestOutput()));
      expect(JSON.parse(rest.join("\n"))).to.deep.equal(expected);
      expect(expected.logits.shape).to.deep.equal([1, 3]);

      const result = await cli(world, ["job", "result", "1"]);
      expect(result.code, result.err).to.equal(0);
      expect(JSON.parse(result.out)).to.deep.equal(expected);
      const status = await cli(world, ["job", "status", "1"]);
      expect(JSON.parse(status.out)).to.include({ id: 1, status: "Finalized", mode: "none", model: modelId, executor: world.operator.address, requester: world.requester.address });

      // The running node reports its health and counts on 127.0.0.1.
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).to.equal(200);
      expect(((await health.json()) as { status: string }).status).to.equal("ok");
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).to.match(/^jobs_seen_total [1-9]/m);
    } finally {
      abort.abort();
    }
    const stopped = await serving;
    expect(stopped.code, stopped.err).to.equal(0);
    expect(stopped.out).to.match(new RegExp(`^node ${world.operator.address} serving as executor on chain 31337 \\(hardhat\\).*\\nnode stopped\\n$`));
    expect(logger.errors()).to.deep.equal([]);
    expect(logger.at("Executor.submit").length).to.be.greaterThan(0);
  });
});

describe("glassbox job request --audit-rate: a requester buys security", function () {
  it("requests at the least fee that funds the bought rate, and the job reports that rate in securityOf", async function () {
    const world = await loadFixture(cliWorld);
    const modelId = await register(world, tmpDir());
    const input = writeJson(tmpDir(), "input.json", SAMPLE_JSON);
    const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--audit-rate", "2000"]);
    expect(run.code, run.err).to.equal(0);
    const jobId = BigInt(run.out.trim());
    const job = await world.protocol.jobs.jobOf(jobId);
    expect(job.fee).to.equal(ethers.parseEther("0.6"));
    expect((await world.protocol.jobs.securityOf(jobId))[1]).to.equal(2000n);
  });
});

describe("glassbox node start --output-base-url: outputs above the inline limit go by reference", function () {
  it("publishes the output under /outputs/<keccak256> of its ops endpoint, posts its hash and URI, and job request --wait and job result fetch and print it", async function () {
    const world = await loadFixture(cliWorld);
    const { modelId, logger, abort, port, serving } = await servingExecutor(world, (p) => ["--output-base-url", `http://127.0.0.1:${p}/outputs`, "--inline-output-bytes", "1"]);
    const base = `http://127.0.0.1:${port}/outputs`;
    try {
      const input = writeJson(tmpDir(), "input.json", SAMPLE_JSON);
      const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--mode", "none", "--wait", "--wait-timeout", "30", "--poll-interval-ms", "20"]);
      expect(run.code, run.err).to.equal(0);
      const honest = await honestOutput();
      const expected = tensorsToJson(decodeTensors(honest));
      expect(JSON.parse(run.out.split("\n").slice(1).join("\n"))).to.deep.equal(expected);

      const [, outputHash, inline, outputURI] = await world.protocol.jobs.resultOf(1n);
      expect(inline).to.equal("0x");
      expect(outputHash).to.equal(ethers.keccak256(honest));
      expect(outputURI).to.equal(`${base}/${outputHash}`);
      const served = await fetch(outputURI);
      expect(served.status).to.equal(200);
      expect(new Uint8Array(await served.arrayBuffer())).to.deep.equal(honest);

      const result = await cli(world, ["job", "result", "1"]);
      expect(result.code, result.err).to.equal(0);
      expect(JSON.parse(result.out)).to.deep.equal(expected);
    } finally {
      abort.abort();
    }
    const stopped = await serving;
    expect(stopped.code, stopped.err).to.equal(0);
    expect(logger.errors()).to.deep.equal([]);
    // Once the node (and its /outputs/) is gone, the result cannot be had, and the CLI says where it was.
    const gone = await cli(world, ["job", "result", "1"]);
    expectOneLine(gone, new RegExp(`^glassbox: cannot fetch job 1's output from http://127\\.0\\.0\\.1:${port}/outputs/0x[0-9a-f]{64} \\(fetch failed\\): check that the URI is reachable from here .*, then run this again\n$`));
  });
});

describe("glassbox: failures are one clear line on stderr and exit code 1", function () {
  it("when the RPC is down, after trying it four times", async function () {
    const world = await loadFixture(cliWorld);
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r())); // nothing listens there now
    const run = await cli(world, ["job", "status", "1", "--rpc", `http://127.0.0.1:${port}`], { provider: undefined, retry: { baseDelayMs: 10 } });
    expectOneLine(run, new RegExp(`^glassbox: the RPC endpoint http://127\\.0\\.0\\.1:${port} did not answer after 4 attempts \\(ECONNREFUSED\\); check that the chain is running and --rpc / GLASSBOX_RPC is right\n$`));
  });

  it("when the RPC URL is one fetch refuses outright, without trying it again", async function () {
    const world = await loadFixture(cliWorld);
    const run = await cli(world, ["job", "status", "1", "--rpc", "http://127.0.0.1:1"], { provider: undefined, retry: { baseDelayMs: 10 } });
    expectOneLine(run, /^glassbox: cannot reach the RPC endpoint http:\/\/127\.0\.0\.1:1 \(.+\); check --rpc \/ GLASSBOX_RPC\n$/);
  });

  it("when the RPC answers eth_chainId but then fails every read with HTTP 503", async function () {
    const world = await loadFixture(cliWorld);
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const payload = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
        const first = Array.isArray(payload) ? payload[0] : payload;
        requests.push(first.method);
        if (first.method !== "eth_chainId") return void res.writeHead(503).end("overloaded");
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: first.id, result: "0x7a69" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    try {
      const run = await cli(world, ["job", "status", "1", "--rpc", url], { provider: undefined, retry: { baseDelayMs: 10 } });
      expectOneLine(run, new RegExp(`^glassbox: the RPC endpoint ${url.replace(/\./g, "\\.")} did not answer after 4 attempts \\(HTTP 503\\); check that the chain is running and --rpc / GLASSBOX_RPC is right\n$`));
      expect(requests.filter((m) => m !== "eth_chainId")).to.have.length(4);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("when the chain refuses a transaction: the decoded error and what to do next", async function () {
    const world = await loadFixture(cliWorld);
    const run = await cli(world, ["node", "unstake", "executor", "5"]);
    expectOneLine(run, /^glassbox: InsufficientFreeStake\(requested=5000000000000000000, free=0\): you asked for 5\.0 tokens but only 0\.0 tokens of this stake is free \(not locked or unbonding\): ask for less\n$/);
  });

  it("never as ethers' bare 'could not coalesce error', but as the endpoint's own code and message", function () {
    const err = Object.assign(new Error('could not coalesce error (error={ "code": -32000, "message": "header not found" }, payload={ "method": "eth_getBalance" }, code=UNKNOWN_ERROR, version=6.17.0)'), {
      code: "UNKNOWN_ERROR",
      shortMessage: "could not coalesce error",
      error: { code: -32000, message: "header not found" },
      payload: { jsonrpc: "2.0", id: 3, method: "eth_getBalance", params: [] },
    });
    expect(oneLine(err)).to.equal("the RPC endpoint answered eth_getBalance with error -32000: header not found");
  });

  it("when no key is set", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["node", "status"], { env: {} }), /^glassbox: no key: set GLASSBOX_PRIVATE_KEY or --keystore FILE\n$/);
    expectOneLine(await cli(world, ["node", "status", "--key", "MISSING_VAR"], { env: {} }), /^glassbox: no key: set MISSING_VAR or --keystore FILE\n$/);
  });

  it("when an option is bad", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["node", "start", "--roles", "all"]), /^glassbox: bad roles \(flag --roles\): "all" is not allowed; allowed: executor, verifier, both\n$/);
  });

  it("when the deployment is for another chain", async function () {
    const world = await loadFixture(cliWorld);
    const d = { ...readDeployment(world.deploymentFile), chainId: 5 };
    const file = writeJson(tmpDir(), "other.json", d);
    const run = await cli(world, ["job", "status", "1", "--deployment", file]);
    expectOneLine(run, /^glassbox: chain id mismatch: the RPC is on chain 31337 but .*other\.json is for chain 5 \(hardhat\)\n$/);
  });

  it("when the job does not exist", async function () {
    const world = await loadFixture(cliWorld);
    expectOneLine(await cli(world, ["job", "result", "3"]), /^glassbox: job 3 does not exist \(there are 0 jobs\)\n$/);
  });

  describe("when job request is given", function () {
    async function request(world: CliWorld, input: string, model = "1"): Promise<Run> {
      return cli(world, ["job", "request", "--model", model, "--input", input, "--mode", "none"]);
    }

    it("a model id that does not exist", async function () {
      const world = await loadFixture(cliWorld);
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      expectOneLine(await request(world, input, "42"), /^glassbox: model 42 does not exist \(the registry has 0 models\)\n$/);
    });

    it("a fee above what the contracts take (uint96), naming --fee", async function () {
      const world = await loadFixture(cliWorld);
      const modelId = await register(world, tmpDir());
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--mode", "none", "--fee", "1" + "0".repeat(30)]);
      expectOneLine(run, /^glassbox: --fee 1000000000000000000000000000000 is above the largest amount the contracts take \(79228162514\.264337593543950335\)\n$/);
    });

    it("--audit-rate with a mode that is never audited", async function () {
      const world = await loadFixture(cliWorld);
      const modelId = await register(world, tmpDir());
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--mode", "none", "--audit-rate", "2000"]);
      expectOneLine(run, /^glassbox: --audit-rate applies to --mode optimistic only: the other modes are never audited\n$/);
    });

    it("a fee below what funds the job's expected audit at the rate bought, naming the least fee", async function () {
      const world = await loadFixture(cliWorld);
      const modelId = await register(world, tmpDir());
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      // 20% x a committee of 3 x 0.1 token of reward / a 10% verifier share = 0.6 token.
      const run = await cli(world, ["job", "request", "--model", String(modelId), "--input", input, "--audit-rate", "2000", "--fee", "0.55"]);
      expectOneLine(run, /^glassbox: --fee 0\.55 is below 0\.6 tokens, the fee that funds the job's expected audit at its audit rate: raise --fee or leave it out\n$/);
    });

    it("malformed JSON", async function () {
      const world = await loadFixture(cliWorld);
      expectOneLine(await request(world, writeJson(tmpDir(), "in.json", '{"x": {"dtype": ')), /^glassbox: .*in\.json is not JSON: /);
    });

    it("an unknown dtype", async function () {
      const world = await loadFixture(cliWorld);
      const input = writeJson(tmpDir(), "in.json", { x: { ...SAMPLE_JSON.x, dtype: "float16" } });
      expectOneLine(await request(world, input), /^glassbox: .*in\.json: tensor "x": unknown dtype "float16"; allowed: float32, float64, int32, int64, bool/);
    });

    it("data whose length does not match the shape", async function () {
      const world = await loadFixture(cliWorld);
      const input = writeJson(tmpDir(), "in.json", { x: { ...SAMPLE_JSON.x, shape: [2, 4] } });
      expectOneLine(await request(world, input), /^glassbox: .*in\.json: tensor "x": shape \[2, 4\] needs 8 values, data has 4\n$/);
    });

    it("a value that does not fit its dtype, or a missing file", async function () {
      const world = await loadFixture(cliWorld);
      const input = writeJson(tmpDir(), "in.json", { n: { dtype: "int32", shape: [1], data: [2 ** 40] } });
      expectOneLine(await request(world, input), /^glassbox: .*in\.json: tensor "n": 1099511627776 is not an integer in/);
      expectOneLine(await request(world, path.join(tmpDir(), "none.json")), /^glassbox: cannot read input file .*none\.json: ENOENT\n$/);
    });

    it("a version the model owner deprecated: the chain's error, named, with what to do next", async function () {
      const world = await loadFixture(cliWorld);
      const id = await register(world, tmpDir());
      await (await world.protocol.models.connect(world.requester.connect(ethers.provider)).deprecateVersion(id, 1)).wait();
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      const run = await cli(world, ["job", "request", "--model", String(id), "--input", input, "--mode", "none", "--version", "1"]);
      expectOneLine(run, /^glassbox: VersionDeprecated\(modelId=1, version=1\): version 1 of model 1 is deprecated: request another version \(leave --version out for the latest\)\n$/);
    });

    it("a mode the model does not allow", async function () {
      const world = await loadFixture(cliWorld);
      const id = await register(world, tmpDir(), ["--modes", "optimistic"]);
      const input = writeJson(tmpDir(), "in.json", SAMPLE_JSON);
      expectOneLine(await request(world, input, String(id)), /^glassbox: model 1 does not allow mode none\n$/);
    });
  });
});
