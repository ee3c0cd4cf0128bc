import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Wallet } from "ethers";
import { loadConfig, type OptionName } from "../src/config";
import { createNode, nodeConfigOf } from "../src/createNode";
import type { Deployment } from "../src/deployment";
import type { LogLine, NodeLogger } from "../src/ops/logger";

const DEPLOYMENT: Deployment = {
  network: "localhost",
  chainId: 31337,
  deploymentBlock: 12,
  contracts: {
    token: Wallet.createRandom().address,
    modelRegistry: Wallet.createRandom().address,
    stakeManager: Wallet.createRandom().address,
    jobRegistry: Wallet.createRandom().address,
    disputeManager: Wallet.createRandom().address,
    quorumManager: Wallet.createRandom().address,
    paymentVault: Wallet.createRandom().address,
  },
};

const configOf = (flags: Partial<Record<OptionName, string>>) => loadConfig({ env: {}, flags });

describe("nodeConfigOf: the configuration as the node takes it", function () {
  it("serves both roles by default, reads the chain from the deployment, and keeps its files under dataDir", function () {
    const node = nodeConfigOf(configOf({ dataDir: "/srv/glassbox" }), DEPLOYMENT);
    expect(node.roles).to.deep.equal({ executor: true, verifier: true });
    expect([node.jobRegistry, node.startBlock]).to.deep.equal([DEPLOYMENT.contracts.jobRegistry, 12]);
    expect([node.dbFile, node.modelCacheDir]).to.deep.equal([path.join("/srv/glassbox", "node.sqlite"), path.join("/srv/glassbox", "models")]);
    expect(node.outputs).to.equal(undefined);
  });

  it("passes each option to the part of the node that uses it", function () {
    const node = nodeConfigOf(
      configOf({
        roles: "verifier",
        dataDir: "/d",
        models: "1,3",
        watchShare: "0.5",
        confirmations: "2",
        maxLogRange: "500",
        pollIntervalMs: "250",
        feeBumpPercent: "20",
        replaceAfterMs: "9000",
        maxTxAttempts: "4",
        ipfsGateway: "https://ipfs.example/ipfs/",
        maxModelBytes: "1000",
        maxInputBytes: "100",
        allowFileInputs: "true",
        allowPrivateUris: "true",
        outputBaseUrl: "https://node.example/outputs",
        inlineOutputBytes: "1024",
      }),
      DEPLOYMENT,
    );
    expect(node.roles).to.deep.equal({ executor: false, verifier: true });
    expect([node.models, node.watchShare, node.confirmations, node.maxRange, node.pollIntervalMs]).to.deep.equal([[1, 3], 0.5, 2, 500, 250]);
    expect(node.sender).to.deep.equal({ bumpPercent: 20, replaceAfterMs: 9000, maxAttempts: 4 });
    expect(node.modelStore).to.deep.equal({ ipfsGateway: "https://ipfs.example/ipfs/", maxBytes: 1000 });
    expect(node.inputs).to.deep.equal({ ipfsGateway: "https://ipfs.example/ipfs/", maxBytes: 100, allowFileUris: true, allowPrivateHosts: true });
    expect(node.outputs).to.deep.equal({ dir: path.join("/d", "outputs"), baseUrl: "https://node.example/outputs", inlineBytes: 1024 });
  });
});

describe("createNode", function () {
  const lines: { line: LogLine; msg: string }[] = [];
  const logger: NodeLogger = { debug: () => undefined, info: () => undefined, warn: (line, msg) => void lines.push({ line, msg }), error: () => undefined };
  let dataDir: string;

  beforeEach(function () {
    lines.length = 0;
    dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-create-")), "data");
  });
  afterEach(function () {
    fs.rmSync(path.dirname(dataDir), { recursive: true, force: true });
  });

  it("makes dataDir and an ops endpoint on metricsPort that serves the node's metrics", function () {
    const created = createNode(configOf({ dataDir, metricsPort: "0" }), DEPLOYMENT, { signer: Wallet.createRandom(), logger });
    expect(created.ops).to.equal(undefined);
    expect(fs.existsSync(dataDir)).to.equal(true);
    const served = createNode(configOf({ dataDir, metricsPort: "9999" }), DEPLOYMENT, { signer: Wallet.createRandom(), logger });
    expect(served.ops).to.not.equal(undefined);
    expect(served.logger).to.equal(logger);
  });

  it("warns when outputs are published by reference but no ops endpoint serves them", function () {
    createNode(configOf({ dataDir, metricsPort: "0", outputBaseUrl: "https://node.example/outputs" }), DEPLOYMENT, { signer: Wallet.createRandom(), logger });
    expect(lines.map((l) => l.line.at)).to.deep.equal(["cli.nodeStart"]);
    expect(lines[0].msg).to.match(/serve the outputs directory at outputBaseUrl yourself/);
    createNode(configOf({ dataDir, metricsPort: "9999", outputBaseUrl: "https://node.example/outputs" }), DEPLOYMENT, { signer: Wallet.createRandom(), logger });
    expect(lines).to.have.length(1);
  });
});
