/**
 * The devnet's demo client (scripts/devnet/client.ts) reads a job's output as a dApp does, with the
 * SDK's GlassboxClient.result: inline, or posted by reference (fetched from its URI and checked
 * against the hash the chain holds), then compares it with its own run of the model. Hardhat's
 * in-process network; the test plays the executor, and a content store serves the outputs.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ContentStoreServer, ModelRunner, publishBytes, sha256Hex, type Deployment } from "../../packages/node/src";
import { DemoClient } from "../../scripts/devnet/client";
import { DEVNET_MODELS, type DevnetModel } from "../../scripts/devnet/models";
import type { RegisteredModel } from "../../scripts/devnet/setup";
import { deployWorld, Mode, requestJob, signerOf, type World } from "../fixtures/protocol";

const MODEL = DEVNET_MODELS.find((m) => m.name === "mlp") as DevnetModel;
const REGISTERED: RegisteredModel = { id: 1n, model: MODEL, file: "mlp.onnx", digest: `0x${sha256Hex(MODEL.bytes())}` };

describe("DemoClient.verify (the devnet's demo client)", function () {
  let dir: string;
  let store: ContentStoreServer;
  let output: Uint8Array;
  const clients: DemoClient[] = [];

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-demo-client-"));
    store = new ContentStoreServer({ dir, port: 0 });
    await store.start();
    const runner = await ModelRunner.load(MODEL.bytes(), "test:mlp");
    output = await runner.runCanonical(MODEL.input());
    await runner.release();
  });

  after(async function () {
    for (const c of clients) await c.close();
    await store.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The protocol, and a demo client of it (a fresh key: it only reads). */
  async function world(): Promise<{ w: World; client: DemoClient }> {
    const w = await deployWorld();
    const contracts = {
      token: await w.token.getAddress(),
      modelRegistry: await w.models.getAddress(),
      stakeManager: await w.stakes.getAddress(),
      jobRegistry: await w.jobs.getAddress(),
      disputeManager: await w.disputes.getAddress(),
      quorumManager: await w.quorum.getAddress(),
      paymentVault: await w.vault.getAddress(),
    };
    const deployment: Deployment = { network: "hardhat", chainId: 31337, deploymentBlock: 0, contracts };
    const client = new DemoClient(ethers.Wallet.createRandom().connect(ethers.provider), deployment);
    clients.push(client);
    return { w, client };
  }

  /** Requests a NONE job and posts `bytes` as its executor: inline, or by reference at `uri` under keccak256(`bytes`). */
  async function posted(w: World, bytes: Uint8Array, uri?: string): Promise<bigint> {
    const { jobId, assigned } = await requestJob(w, { mode: Mode.NONE });
    const jobs = w.jobs.connect(signerOf(w.executors, assigned[0]));
    if (uri === undefined) await (await jobs.submitResult(jobId, bytes)).wait();
    else await (await jobs.submitResultRef(jobId, ethers.keccak256(bytes), uri)).wait();
    return jobId;
  }

  it("verifies an output posted by reference: fetched from its URI and compared with its own run of the model", async function () {
    const { w, client } = await loadFixture(world);
    const { uri } = await publishBytes(store.url, output);
    const jobId = await posted(w, output, uri);
    expect((await w.jobs.resultOf(jobId))[2]).to.equal("0x"); // nothing inline: the client must fetch it
    expect(await client.verify(jobId, REGISTERED, MODEL.input())).to.deep.equal({ ok: true });
  });

  it("verifies an output posted inline", async function () {
    const { w, client } = await loadFixture(world);
    const jobId = await posted(w, output);
    expect(await client.verify(jobId, REGISTERED, MODEL.input())).to.deep.equal({ ok: true });
  });

  it("does not verify an output whose URI serves other bytes than the hash the chain holds, and says so", async function () {
    const { w, client } = await loadFixture(world);
    const other = await publishBytes(store.url, MODEL.input());
    const jobId = await posted(w, output, other.uri);
    const verdict = await client.verify(jobId, REGISTERED, MODEL.input());
    expect(verdict.ok).to.equal(false);
    expect(verdict.why).to.match(new RegExp(`keccak256 ${other.hash}, but the chain commits to ${ethers.keccak256(output)}`));
  });
});
