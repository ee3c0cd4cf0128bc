import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import hre, { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deploy, DeployError, type DeploymentRecord } from "../../deploy/deploy";
import { loadParams, paramsToJson, ParamsError, PARAMS_DIR, type NetworkParams } from "../../deploy/params";
import { DEVNET_PARAMS } from "../../deploy/protocol";
import { parseDeployment, readDeployment } from "../../packages/node/src";
import {
  DisputeManager__factory,
  GlassboxTimelock__factory,
  JobRegistry__factory,
  PaymentVault__factory,
  QuorumManager__factory,
  StakeManager__factory,
} from "../../packages/node/src/typechain";

/** deploy/params/hardhat.json's governance.minDelay. */
const MIN_DELAY = 8 * 24 * 3600;
const QUEUED = / \(queued: ready at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\)$/;

const tempDirs: string[] = [];
after(() => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tmpFile(name: string, content?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-deploy-"));
  tempDirs.push(dir);
  const file = path.join(dir, name);
  if (content !== undefined) fs.writeFileSync(file, content);
  return file;
}

function readRecord(file: string): DeploymentRecord {
  return JSON.parse(fs.readFileSync(file, "utf8")) as DeploymentRecord;
}

/** The hardhat parameters with `change` applied to a copy. */
function withParams(change: (p: NetworkParams) => void): NetworkParams {
  const p = structuredClone(loadParams("hardhat"));
  change(p);
  return p;
}

interface Deployed {
  deployer: HardhatEthersSigner;
  /** The deployment file's text right after the first deploy; each test starts from its own copy. */
  text: string;
  sent: number;
}

async function deployedFixture(): Promise<Deployed> {
  const [deployer] = await ethers.getSigners();
  const file = tmpFile("hardhat.json");
  const { sent } = await deploy({ deployer, network: "hardhat", deploymentFile: file });
  return { deployer, text: fs.readFileSync(file, "utf8"), sent };
}

/** A copy of the fixture's deployment file, for one test to reconcile. */
async function deployed(): Promise<Deployed & { file: string; record: DeploymentRecord }> {
  const d = await loadFixture(deployedFixture);
  const file = tmpFile("hardhat.json", d.text);
  return { ...d, file, record: readRecord(file) };
}

async function onChain(record: DeploymentRecord) {
  const c = record.contracts;
  const stakes = StakeManager__factory.connect(c.stakeManager, ethers.provider);
  return {
    jobs: pick(await JobRegistry__factory.connect(c.jobRegistry, ethers.provider).params(), DEVNET_PARAMS.jobs),
    disputes: pick(await DisputeManager__factory.connect(c.disputeManager, ethers.provider).params(), DEVNET_PARAMS.disputes),
    unbonding: await stakes.unbondingPeriod(),
    minStakes: [await stakes.minStake(0), await stakes.minStake(1)],
  };
}

/** The fields of `shape` read from a struct returned by a contract. */
function pick(struct: object, shape: object): Record<string, unknown> {
  const named = struct as Record<string, unknown>;
  return Object.fromEntries(Object.keys(shape).map((field) => [field, named[field]]));
}

function expectStruct(actual: Record<string, unknown>, expected: object): void {
  for (const [field, value] of Object.entries(expected)) expect(String(actual[field]), field).to.equal(String(value));
}

describe("deploy", function () {
  describe("a fresh deployment", function () {
    it("deploys the timelock, the JobParams and JobSettlement libraries, the randomness source and seven contracts, wires four links, and records parameters, the timelock, the libraries, the source and constructor arguments", async function () {
      const { sent, record, deployer } = await deployed();
      expect(sent).to.equal(15);
      expect(record.timelock).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(await ethers.provider.getCode(record.timelock!)).not.to.equal("0x");
      expect(record.constructorArgs.timelock).to.deep.equal([MIN_DELAY, [deployer.address], [deployer.address], ethers.ZeroAddress]);
      expect(record.network).to.equal("hardhat");
      expect(record.chainId).to.equal(31337);
      expect(record.deployer).to.equal(deployer.address);
      expect(record.parameters).to.deep.equal(paramsToJson({ ...loadParams("hardhat"), treasury: deployer.address }));
      expect(Object.keys(record.constructorArgs).sort()).to.deep.equal([...Object.keys(record.contracts), "timelock", "jobParams", "jobSettlement", "randomness"].sort());
      expect(record.constructorArgs.jobRegistry![6]).to.equal(record.randomness);
      expect(record.constructorArgs.jobRegistry![7]).to.equal(record.timelock);
      // The new constructors: ModelRegistry(minAuditRateBps), JobRegistry(..., collateral terms, jobs).
      expect(record.constructorArgs.modelRegistry).to.deep.equal([500]);
      expect(record.constructorArgs.jobRegistry![8]).to.deep.equal({ minimum: "20000000000000000000", multipleBps: 220000, maximum: "100000000000000000000000" });
      expect(record.constructorArgs.jobParams).to.deep.equal([]);
      expect(record.constructorArgs.jobSettlement).to.deep.equal([]);
      // The recorded libraries are the ones the JobRegistry's code calls.
      for (const library of [record.jobParams, record.jobSettlement]) {
        expect(library).to.match(/^0x[0-9a-fA-F]{40}$/);
        expect(await ethers.provider.getCode(library!)).not.to.equal("0x");
        expect(await ethers.provider.getCode(record.contracts.jobRegistry)).to.include(library!.slice(2).toLowerCase());
      }
      expect(record.jobParams).to.not.equal(record.jobSettlement);
      // The randomness source the managers read, with the parameter file's delay.
      expect(record.randomness).to.equal(await JobRegistry__factory.connect(record.contracts.jobRegistry, ethers.provider).RANDOMNESS());
      expect(record.constructorArgs.randomness).to.deep.equal([2, true]);
      for (const address of Object.values(record.contracts)) expect(await ethers.provider.getCode(address)).not.to.equal("0x");
    });

    it("applies the parameter file on-chain", async function () {
      const { record } = await deployed();
      const chain = await onChain(record);
      expectStruct(chain.jobs, DEVNET_PARAMS.jobs);
      expectStruct(chain.disputes, DEVNET_PARAMS.disputes);
      expect(chain.unbonding).to.equal(BigInt(DEVNET_PARAMS.unbondingPeriod));
      expect(await GlassboxTimelock__factory.connect(record.timelock!, ethers.provider).getMinDelay()).to.equal(BigInt(MIN_DELAY));
    });

    it("leaves the deployer no power: the timelock is GOVERNANCE, the wiring is final, and the timelock has no admin but itself", async function () {
      const { deployer, record } = await deployed();
      const c = record.contracts;
      const timelock = GlassboxTimelock__factory.connect(record.timelock!, deployer);
      const stakes = StakeManager__factory.connect(c.stakeManager, deployer);
      const vault = PaymentVault__factory.connect(c.paymentVault, deployer);
      const disputes = DisputeManager__factory.connect(c.disputeManager, deployer);
      const jobs = JobRegistry__factory.connect(c.jobRegistry, deployer);
      const quorum = QuorumManager__factory.connect(c.quorumManager, deployer);
      for (const contract of [stakes, vault, disputes, jobs]) {
        expect(await contract.GOVERNANCE()).to.equal(record.timelock);
        expect(await contract.DEPLOYER()).to.equal(deployer.address);
      }
      await expect(jobs.setParams(DEVNET_PARAMS.jobs)).to.be.revertedWithCustomError(jobs, "UnauthorizedCaller").withArgs(deployer.address);
      await expect(disputes.setParams(DEVNET_PARAMS.disputes)).to.be.revertedWithCustomError(disputes, "UnauthorizedCaller").withArgs(deployer.address);
      await expect(stakes.setUnbondingPeriod(DEVNET_PARAMS.unbondingPeriod)).to.be.revertedWithCustomError(stakes, "UnauthorizedCaller").withArgs(deployer.address);
      await expect(vault.setTreasury(deployer.address)).to.be.revertedWithCustomError(vault, "UnauthorizedCaller").withArgs(deployer.address);
      await expect(stakes.wire(c.jobRegistry, deployer.address)).to.be.revertedWithCustomError(stakes, "AlreadyWired");
      await expect(vault.wire(deployer.address, deployer.address)).to.be.revertedWithCustomError(vault, "AlreadyWired");
      await expect(disputes.setHub(deployer.address)).to.be.revertedWithCustomError(disputes, "AlreadyWired");
      await expect(quorum.setHub(deployer.address)).to.be.revertedWithCustomError(quorum, "AlreadyWired");
      // DEFAULT_ADMIN_ROLE: granted once, to the timelock itself (admin = address(0) at construction).
      const admin = await timelock.DEFAULT_ADMIN_ROLE();
      const grants = await timelock.queryFilter(timelock.filters.RoleGranted(admin));
      expect(grants.map((g) => g.args.account)).to.deep.equal([record.timelock]);
      expect(await timelock.hasRole(admin, deployer.address)).to.equal(false);
      // The deployer's remaining say is a proposer's: public and delayed by minDelay.
      await expect(timelock.grantRole(admin, deployer.address))
        .to.be.revertedWithCustomError(timelock, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, admin);
      await expect(timelock.updateDelay(0)).to.be.revertedWithCustomError(timelock, "TimelockUnauthorizedCaller").withArgs(deployer.address);
    });
  });

  describe("a second run", function () {
    it("with the same parameters sends no transaction and keeps every address", async function () {
      const { deployer, file, record } = await deployed();
      const nonce = await deployer.getNonce();
      const again = await deploy({ deployer, network: "hardhat", deploymentFile: file });
      expect(again.sent).to.equal(0);
      expect(again.changes).to.deep.equal([]);
      expect(await deployer.getNonce()).to.equal(nonce);
      expect(readRecord(file).contracts).to.deep.equal(record.contracts);
      expect(readRecord(file).deploymentBlock).to.equal(record.deploymentBlock);
    });

    it("with one changed parameter queues one timelock operation, reports it while it waits, and applies it once ready", async function () {
      const { deployer, file, record } = await deployed();
      const before = await onChain(record);
      const params = withParams((p) => (p.jobs.challengeWindow = 60));
      const queued = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(queued.sent).to.equal(1);
      expect(queued.changes).to.have.length(1);
      expect(queued.changes[0]).to.match(/^JobRegistry\.challengeWindow 1800 -> 60 \(queued: ready at /).and.match(QUEUED);
      const readyAt = Date.parse(/ready at (.*)\)$/.exec(queued.changes[0])![1]) / 1000;
      expect(readyAt).to.equal((await time.latest()) + MIN_DELAY);
      expect(await onChain(record)).to.deep.equal(before); // nothing changes before the delay
      expect((readRecord(file).parameters.jobs as { challengeWindow: number }).challengeWindow).to.equal(60);

      // Still waiting: reported, not resent.
      const nonce = await deployer.getNonce();
      const waiting = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(waiting.sent).to.equal(0);
      expect(waiting.changes).to.deep.equal([]);
      expect(waiting.pending).to.deep.equal([queued.changes[0].replace("(queued:", "(pending:")]);
      expect(await deployer.getNonce()).to.equal(nonce);

      await time.increase(MIN_DELAY);
      const applied = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(applied.sent).to.equal(1);
      expect(applied.changes).to.deep.equal(["JobRegistry.challengeWindow 1800 -> 60 (applied)"]);
      const after = await onChain(record);
      expectStruct(after.jobs, { ...before.jobs, challengeWindow: 60 });
      expect(after.disputes).to.deep.equal(before.disputes);
      expect(after.unbonding).to.equal(before.unbonding);
      expect(after.minStakes).to.deep.equal(before.minStakes);
      expect(readRecord(file).contracts).to.deep.equal(record.contracts);
      const settled = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect([settled.sent, settled.changes.length, settled.pending.length]).to.deep.equal([0, 0, 0]);
    });

    it("queues a value set back again as a new operation (the earlier one with the same calldata is done)", async function () {
      const { deployer, file, record } = await deployed();
      const to60 = withParams((p) => (p.jobs.challengeWindow = 60));
      for (const params of [to60, loadParams("hardhat"), to60]) {
        const queued = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
        expect(queued.sent).to.equal(1);
        expect(queued.changes[0]).to.match(QUEUED);
        await time.increase(MIN_DELAY);
        expect((await deploy({ deployer, network: "hardhat", deploymentFile: file, params })).changes[0]).to.match(/ \(applied\)$/);
        expectStruct((await onChain(record)).jobs, params.jobs);
      }
    });

    it("refuses to shorten the unbonding period (it never shortens) and sends nothing; shrinks the windows under it, and lengthens it", async function () {
      const { deployer, file, record } = await deployed();
      const localhost = loadParams("localhost");
      // The devnet's windows and shorter unbonding period, under this deployment's immutables.
      const keep = (p: NetworkParams) => ({ governance: p.governance, stakeEpoch: p.stakeEpoch, randomness: p.randomness });
      const shorter = withParams((p) => Object.assign(p, { ...localhost, ...keep(p) }));
      await expect(deploy({ deployer, network: "hardhat", deploymentFile: file, params: shorter })).to.be.rejectedWith(DeployError, /never shortens/);
      expect((await onChain(record)).unbonding).to.equal(BigInt(DEVNET_PARAMS.unbondingPeriod));
      // The devnet's short windows fit under the 7-day period: only the two setParams are queued.
      const params = withParams((p) => Object.assign(p, { ...localhost, ...keep(p), unbondingPeriod: p.unbondingPeriod }));
      const queued = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(queued.sent).to.equal(2); // JobRegistry.setParams, DisputeManager.setParams
      for (const line of queued.changes) expect(line).to.match(QUEUED);
      await time.increase(MIN_DELAY);
      const applied = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(applied.sent).to.equal(2);
      const chain = await onChain(record);
      expectStruct(chain.jobs, params.jobs);
      expectStruct(chain.disputes, params.disputes);
      // ...and a longer unbonding period is one queued setter.
      const longer = withParams((p) => Object.assign(p, { ...params, unbondingPeriod: params.unbondingPeriod + 86_400 }));
      expect((await deploy({ deployer, network: "hardhat", deploymentFile: file, params: longer })).sent).to.equal(1);
      await time.increase(MIN_DELAY);
      const grown = await deploy({ deployer, network: "hardhat", deploymentFile: file, params: longer });
      expect(grown.changes).to.include(`StakeManager.unbondingPeriod ${params.unbondingPeriod} -> ${longer.unbondingPeriod} (applied)`);
      expect((await onChain(record)).unbonding).to.equal(BigInt(longer.unbondingPeriod));
    });

    it("sets stake minimums and the treasury each with its setter", async function () {
      const { deployer, file } = await deployed();
      const [, treasury] = await ethers.getSigners();
      const params = withParams((p) => {
        p.minVerifierStake = 200n * 10n ** 18n;
        p.treasury = treasury.address;
      });
      const result = await deploy({ deployer, network: "hardhat", deploymentFile: file, params });
      expect(result.sent).to.equal(2);
      expect(result.changes[0]).to.match(new RegExp(`^PaymentVault\\.treasury ${deployer.address} -> ${treasury.address}${QUEUED.source}`));
      expect(result.changes[1]).to.match(new RegExp(`^StakeManager\\.minVerifierStake 100000000000000000000 -> 200000000000000000000${QUEUED.source}`));
      await time.increase(MIN_DELAY);
      expect((await deploy({ deployer, network: "hardhat", deploymentFile: file, params })).sent).to.equal(2);
      const vault = PaymentVault__factory.connect(readRecord(file).contracts.paymentVault, ethers.provider);
      expect(await vault.treasury()).to.equal(treasury.address);
      expect((await deploy({ deployer, network: "hardhat", deploymentFile: file, params })).sent).to.equal(0);
    });

    it("refuses an immutable change (the collateral terms, the least audit rate) and sends nothing", async function () {
      const { deployer, file } = await deployed();
      const nonce = await deployer.getNonce();
      const changes: [string, (p: NetworkParams) => void, RegExp][] = [
        ["collateral.minimum", (p) => (p.collateral.minimum = 30n * 10n ** 18n), /JobRegistry\.EXECUTOR_COLLATERAL is 20000000000000000000 on-chain but the parameters passed set collateral\.minimum to 30000000000000000000/],
        ["collateral.multipleBps", (p) => (p.collateral.multipleBps = 300_000), /JobRegistry\.COLLATERAL_MULTIPLE_BPS is 220000 on-chain but the parameters passed set collateral\.multipleBps to 300000/],
        ["collateral.maximum", (p) => (p.collateral.maximum = 10n ** 22n), /JobRegistry\.MAX_COLLATERAL is 100000000000000000000000 on-chain but the parameters passed set collateral\.maximum to 10000000000000000000000/],
        ["minAuditRateBps", (p) => (p.minAuditRateBps = 1000), /ModelRegistry\.MIN_AUDIT_RATE_BPS is 500 on-chain but the parameters passed set minAuditRateBps to 1000/],
      ];
      for (const [field, change, named] of changes) {
        const refused = new RegExp(`${named.source}.*: immutable, so this needs a fresh deployment \\(pass --fresh`);
        await expect(deploy({ deployer, network: "hardhat", deploymentFile: file, params: withParams(change) }), field).to.be.rejectedWith(DeployError, refused);
      }
      expect(await deployer.getNonce()).to.equal(nonce);
      // --fresh deploys contracts with the new terms.
      const params = withParams((p) => (p.collateral.multipleBps = 300_000));
      await deploy({ deployer, network: "hardhat", deploymentFile: file, params, fresh: true });
      const jobs = JobRegistry__factory.connect(readRecord(file).contracts.jobRegistry, ethers.provider);
      expect(await jobs.COLLATERAL_MULTIPLE_BPS()).to.equal(300_000n);
    });

    it("deploys anew with fresh, or when the file is for another chain or its addresses have no code", async function () {
      const { deployer, file, record } = await deployed();
      const fresh = await deploy({ deployer, network: "hardhat", deploymentFile: file, fresh: true });
      expect(fresh.sent).to.equal(15);
      expect(readRecord(file).contracts.jobRegistry).not.to.equal(record.contracts.jobRegistry);

      fs.writeFileSync(file, JSON.stringify({ ...record, chainId: 5 }));
      expect((await deploy({ deployer, network: "hardhat", deploymentFile: file })).sent).to.equal(15);

      const nowhere = "0x000000000000000000000000000000000000dEaD";
      fs.writeFileSync(file, JSON.stringify({ ...record, contracts: { ...record.contracts, quorumManager: nowhere } }));
      const logged: string[] = [];
      expect((await deploy({ deployer, network: "hardhat", deploymentFile: file, log: (l) => logged.push(l) })).sent).to.equal(15);
      expect(logged[0]).to.match(/no code at quorumManager/);
    });
  });

  describe("the deploy task", function () {
    it("writes a deployment file that the verifier's readDeployment accepts", async function () {
      await loadFixture(deployedFixture);
      const file = tmpFile("hardhat.json");
      const exitCode = process.exitCode;
      await hre.run("deploy", { file, noCompile: true, fresh: false, verify: false });
      expect(process.exitCode).to.equal(exitCode);
      const deployment = readDeployment(file);
      expect(deployment.chainId).to.equal(31337);
      expect(deployment.contracts).to.deep.equal(readRecord(file).contracts);
      expect(deployment.jobParams).to.equal(readRecord(file).jobParams);
      // Files written before the library was recorded still parse; a malformed one names the field.
      const { jobParams, ...older } = readRecord(file);
      expect(jobParams).to.match(/^0x[0-9a-fA-F]{40}$/);
      expect(parseDeployment(older, "older.json").jobParams).to.equal(undefined);
      expect(() => parseDeployment({ ...older, jobParams: "0xnope" }, "bad.json")).to.throw(/deployment file bad\.json: jobParams "0xnope" is not an address/);
      for (const address of Object.values(deployment.contracts)) expect(await ethers.provider.getCode(address)).not.to.equal("0x");
    });
  });
});

describe("loadParams", function () {
  function badFile(change: (json: Record<string, unknown>) => void, network = "hardhat"): () => NetworkParams {
    const json = JSON.parse(fs.readFileSync(path.join(PARAMS_DIR, "hardhat.json"), "utf8")) as Record<string, unknown>;
    change(json);
    const file = tmpFile(`${network}.json`, JSON.stringify(json));
    return () => loadParams(network, file);
  }

  it("reads every committed network's file", function () {
    for (const network of ["hardhat", "localhost"]) expect(loadParams(network).token).to.equal(null);
    for (const network of ["sepolia", "baseSepolia", "arbitrumSepolia"]) {
      expect(() => loadParams(network)).to.throw(ParamsError, `set token in deploy/params/${network}.json`);
    }
  });

  it("gives hardhat exactly DEVNET_PARAMS, and a timelock delay of eight days", function () {
    const { governance, ...p } = loadParams("hardhat");
    expect(paramsToJson(p as NetworkParams)).to.deep.equal(paramsToJson({ ...DEVNET_PARAMS, token: null, treasury: null } as NetworkParams));
    expect(governance).to.deep.equal({ minDelay: MIN_DELAY, proposers: [], executors: [] });
  });

  it("gives localhost short windows (a fast devnet) within the contracts' bounds, and the minimum unbonding period", async function () {
    const p = loadParams("localhost");
    const { record } = await deployed();
    const disputes = DisputeManager__factory.connect(record.contracts.disputeManager, ethers.provider);
    const stakes = StakeManager__factory.connect(record.contracts.stakeManager, ethers.provider);
    const min = Number(await disputes.MIN_WINDOW()); // JobParams.MIN_WINDOW is the same 1 minute
    for (const w of [p.jobs.executionWindow, p.jobs.challengeWindow, p.jobs.revealWindow, p.disputes.commitWindow, p.disputes.revealWindow]) {
      expect(w).to.be.at.least(min).and.at.most(300);
    }
    expect(p.unbondingPeriod).to.equal(Number(await stakes.MIN_UNBONDING()));
  });

  it("rejects a field out of the contracts' bounds, naming the file and the field", function () {
    const load = badFile((j) => ((j.jobs as Record<string, unknown>).challengeWindow = 30));
    expect(load).to.throw(ParamsError, /hardhat\.json: jobs\.challengeWindow must be in \[60, 604800\] seconds, got 30$/);
  });

  it("rejects a malformed amount, an unknown field, a missing field and an even quorum", function () {
    expect(badFile((j) => (j.minExecutorStake = 100))).to.throw(ParamsError, /: minExecutorStake must be a decimal string/);
    expect(badFile((j) => (j.challengeWindow = 60))).to.throw(ParamsError, /: challengeWindow is not a parameter/);
    expect(badFile((j) => delete (j.disputes as Record<string, unknown>).voterSlash)).to.throw(ParamsError, /: disputes\.voterSlash is missing/);
    expect(badFile((j) => ((j.jobs as Record<string, unknown>).quorumSize = 4))).to.throw(ParamsError, /: jobs\.quorumSize must be odd/);
  });

  it("rejects windows longer than the unbonding period and a timeout slash above the collateral", function () {
    const longWindows = badFile((j) => {
      j.unbondingPeriod = 3600;
      (j.jobs as Record<string, unknown>).challengeWindow = 1201; // 2 x (600 + 1201) = 3602
    });
    expect(longWindows).to.throw(ParamsError, /: unbondingPeriod must be at least twice a job's windows, 2 x 1801 s .*got 3600$/);
    expect(badFile((j) => ((j.jobs as Record<string, unknown>).timeoutSlash = "21e18"))).to.throw(ParamsError, /: jobs\.timeoutSlash must be in \[0, 20000000000000000000\]/);
  });

  it("rejects a timelock delay shorter than the unbonding period plus the longest slashable window, naming the field", function () {
    // The longest slashable window: 600 + 1800 (execution, challenge) + 2 x 600 + 600 (a dispute's pin, commit, reveal).
    const short = badFile((j) => ((j.governance as Record<string, unknown>).minDelay = 608999)); // 604800 + 4200 - 1
    expect(short).to.throw(ParamsError, /hardhat\.json: governance\.minDelay must be at least unbondingPeriod \+ the longest slashable window, 604800 \+ 4200 = 609000 s .*got 608999$/);
    expect(badFile((j) => ((j.governance as Record<string, unknown>).minDelay = 609000))().governance.minDelay).to.equal(609000);
    for (const network of ["hardhat", "localhost"]) {
      const p = loadParams(network);
      expect(p.governance.minDelay, network).to.be.at.least(p.unbondingPeriod + 600);
    }
    expect(badFile((j) => ((j.governance as Record<string, unknown>).proposers = ["0xnope"]))).to.throw(ParamsError, /: governance\.proposers\[0\] "0xnope" is not an address/);
    expect(badFile((j) => delete j.governance)).to.throw(ParamsError, /: governance is missing/);
    expect(badFile((j) => (j.governance = 7200))).to.throw(ParamsError, /: governance must be a JSON object/);
  });

  it("rejects collateral terms outside JobParams.checkCollateral's bounds, naming the field", function () {
    const collateral = (change: (c: Record<string, unknown>) => void) => badFile((j) => change(j.collateral as Record<string, unknown>));
    expect(collateral((c) => (c.minimum = "0"))).to.throw(ParamsError, /hardhat\.json: collateral\.minimum must be in \[1, 100000000000000000000000\] base units, got 0$/);
    expect(collateral((c) => (c.minimum = "100001e18"))).to.throw(ParamsError, /: collateral\.minimum must be in \[1, 100000000000000000000000\] base units/); // above maximum
    expect(collateral((c) => (c.maximum = "1000000001e18"))).to.throw(ParamsError, /: collateral\.maximum must be in \[1, 1000000000000000000000000000\] base units/);
    expect(collateral((c) => (c.multipleBps = 9999))).to.throw(ParamsError, /: collateral\.multipleBps must be in \[10000, 10000000\] basis points, got 9999$/);
    expect(collateral((c) => (c.multipleBps = 10_000_001))).to.throw(ParamsError, /: collateral\.multipleBps must be in \[10000, 10000000\]/);
    expect(collateral((c) => delete c.maximum)).to.throw(ParamsError, /: collateral\.maximum is missing$/);
    expect(badFile((j) => (j.executorCollateral = "20e18"))).to.throw(ParamsError, /: executorCollateral is not a parameter/);
    // The timeout slash is bounded by the least collateral a job locks.
    expect(badFile((j) => ((j.jobs as Record<string, unknown>).timeoutSlash = "20e18"))().jobs.timeoutSlash).to.equal(20n * 10n ** 18n);
  });

  it("rejects a bounty above the challenge bond and an audit floor above ModelRegistry.MAX_AUDIT_RATE_BPS", function () {
    expect(badFile((j) => ((j.disputes as Record<string, unknown>).bounty = "11e18"))).to.throw(ParamsError, /: disputes\.bounty must be in \[0, 10000000000000000000\] base units, got 11000000000000000000$/);
    expect(badFile((j) => (j.minAuditRateBps = 2001))).to.throw(ParamsError, /: minAuditRateBps must be in \[0, 2000\] basis points, got 2001$/);
    expect(badFile((j) => delete (j.disputes as Record<string, unknown>).bounty)).to.throw(ParamsError, /: disputes\.bounty is missing/);
  });

  it("rejects parameters under which a wrong OPTIMISTIC answer pays, naming collateral.multipleBps and the least multiple that would not", function () {
    // q = 5%, h = 0.972 (committee of 3), b = 2/20: the least multiple is 217,513 bps (21.75x).
    const low = badFile((j) => ((j.collateral as Record<string, unknown>).multipleBps = 217_512));
    expect(low).to.throw(ParamsError, /hardhat\.json: collateral\.multipleBps must be at least 217513 for a wrong OPTIMISTIC answer to lose money at every fee \(q = minAuditRateBps 500 bps, h = 0\.972 for a committee of 3, q·h = 0\.0486, b = disputes\.bounty \/ collateral\.minimum = 0\.1; docs\/ARCHITECTURE\.md\), got 217512$/);
    expect(badFile((j) => ((j.collateral as Record<string, unknown>).multipleBps = 217_513))().collateral.multipleBps).to.equal(217_513);
    // A larger committee and a higher audit floor lower it; a larger bounty raises it.
    expect(badFile((j) => (j.minAuditRateBps = 2000))().minAuditRateBps).to.equal(2000);
    const oneSeat = badFile((j) => ((j.disputes as Record<string, unknown>).committeeSize = 1)); // h = 0.9
    expect(oneSeat).to.throw(ParamsError, /: collateral\.multipleBps must be at least 235803 .*h = 0\.9 for a committee of 1/);
    const bigBounty = badFile((j) => ((j.disputes as Record<string, unknown>).bounty = "10e18")); // b = 0.5
    expect(bigBounty).to.throw(ParamsError, /: collateral\.multipleBps must be at least 391523 /);
    // No multiple helps without audits, or when the bounty is the whole least collateral.
    expect(badFile((j) => (j.minAuditRateBps = 0))).to.throw(ParamsError, /: minAuditRateBps must be above 0: with no audit/);
    const wholeBounty = badFile((j) => {
      (j.disputes as Record<string, unknown>).bounty = "10e18";
      (j.collateral as Record<string, unknown>).minimum = "10e18";
    });
    expect(wholeBounty).to.throw(ParamsError, /: disputes\.bounty must be below collateral\.minimum 10000000000000000000, got 10000000000000000000/);
  });

  it("requires a token on a testnet, with the file to set it in", function () {
    expect(badFile(() => undefined, "sepolia")).to.throw(ParamsError, /token is not set: set token in .*sepolia\.json/);
    const ok = badFile((j) => (j.token = "0x000000000000000000000000000000000000dEaD"), "sepolia")();
    expect(ok.token).to.equal("0x000000000000000000000000000000000000dEaD");
  });
});
