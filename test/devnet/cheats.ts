/**
 * The demo's dishonest executors on a chain it ran on before (scripts/devnet/cheats.ts): an earlier
 * run's cheat, staked and opted in with no node behind it, is retired before the next stake epoch
 * and never drawn again; each run's cheat is a key that never staked. On Hardhat's in-process
 * network, with the devnet's own deployment (deploy/params/localhost.json) and two of its models.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { id } from "ethers";
import { deploy } from "../../deploy/deploy";
import { readDeployment, type Deployment } from "../../packages/node/src";
import { StakeManager__factory, type StakeManager } from "../../packages/node/src/typechain";
import { freshCheat, retireEarlierCheats } from "../../scripts/devnet/cheats";
import { DEPLOYER_INDEX, DISHONEST, MODEL_OWNER_INDEX, NODES, ROLE, devnetWallet, fund, registerModels, stakeNode, type RegisteredModel } from "../../scripts/devnet/setup";

interface Chain {
  deployment: Deployment;
  models: Map<string, RegisteredModel>;
  stakes: StakeManager;
}

/** The devnet's contracts with two models, an honest executor (executor-1) and an earlier run's cheat (key 10), both drawable. */
async function earlierRunFixture(): Promise<Chain> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-cheats-"));
  const provider = ethers.provider;
  const deployer = devnetWallet(DEPLOYER_INDEX, provider);
  await deploy({ deployer, network: "localhost", deploymentFile: path.join(dir, "deployment.json") });
  const deployment = readDeployment(path.join(dir, "deployment.json"));
  const models = await registerModels(deployment, devnetWallet(MODEL_OWNER_INDEX, provider), path.join(dir, "models"), { names: ["mlp", "conv"] });
  const honest = NODES[0];
  await fund(deployment, deployer, [honest.accountIndex, DISHONEST.accountIndex]);
  await stakeNode(deployment, honest, provider, models);
  await stakeNode(deployment, DISHONEST, provider, models);
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  await nextEpoch(stakes);
  return { deployment, models, stakes };
}

async function nextEpoch(stakes: StakeManager): Promise<void> {
  const length = await stakes.EPOCH_LENGTH();
  await time.increaseTo(((BigInt(await time.latest()) / length) + 1n) * length);
}

/** Who the draw gives a model's job to, over 40 draws of the current epoch's snapshot. */
async function drawn(stakes: StakeManager, modelId: bigint): Promise<Set<string>> {
  const epoch = await stakes.currentEpoch();
  const holders = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const [ok, seats] = await stakes.drawSeats(ROLE.executor, modelId, epoch, id(`draw ${i}`), 1, []);
    expect(ok).to.equal(true);
    for (const s of seats) holders.add(s);
  }
  return holders;
}

describe("the demo's dishonest executors on a chain it ran on before", function () {
  const cheat = devnetWallet(DISHONEST.accountIndex).address;
  const honest = devnetWallet(NODES[0].accountIndex).address;

  it("retires an earlier cheat before the next stake epoch: from then on the draw never gives it a job", async function () {
    const { deployment, models, stakes } = await loadFixture(earlierRunFixture);
    for (const m of models.values()) expect(await drawn(stakes, m.id), `model #${m.id} before`).to.include(cheat);

    const lines: string[] = [];
    const retired = await retireEarlierCheats(deployment, ethers.provider, (line) => lines.push(line));

    expect(retired.map((r) => r.index)).to.deep.equal([DISHONEST.accountIndex]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.contain(`retiring earlier cheat executor #${DISHONEST.accountIndex} ${cheat}`);
    const account = await stakes.accountOf(cheat, ROLE.executor);
    expect(account.active).to.equal(0n);
    expect(account.unbonding).to.equal(DISHONEST.stake);
    expect(await stakes.modelsOf(cheat)).to.deep.equal([]);
    await nextEpoch(stakes);
    for (const m of models.values()) {
      expect(await stakes.weightOf(cheat, ROLE.executor, m.id)).to.equal(0n);
      expect([...(await drawn(stakes, m.id))], `model #${m.id} after`).to.deep.equal([honest]);
    }
  });

  it("leaves the honest nodes alone, sends nothing a second time, and the run's cheat takes the next key that never staked", async function () {
    const { deployment, models, stakes } = await loadFixture(earlierRunFixture);
    await retireEarlierCheats(deployment, ethers.provider);
    const nonce = await ethers.provider.getTransactionCount(cheat);

    const lines: string[] = [];
    expect(await retireEarlierCheats(deployment, ethers.provider, (line) => lines.push(line))).to.deep.equal([]);
    expect(lines).to.deep.equal([]);
    expect(await ethers.provider.getTransactionCount(cheat)).to.equal(nonce);
    expect((await stakes.accountOf(honest, ROLE.executor)).active).to.equal(NODES[0].stake);
    expect(await stakes.modelsOf(honest)).to.have.length(models.size);

    const next = await freshCheat(deployment, ethers.provider);
    expect(next.accountIndex).to.equal(DISHONEST.accountIndex + 1);
    expect(next.dishonest).to.equal(true);
  });
});
