/**
 * The explorer's JSON API over HTTP (explorer/api.ts, explorer/server.ts), on the indexer's real
 * index of a small world: what it answers for good requests, and that every bad one (a bad id, an
 * out-of-range page, an unknown route or parameter, a write, a URI the chain never named, a path out
 * of the pages' folder) gets a clear JSON error with its status, and the server keeps answering.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { sha256 } from "ethers";
import { startExplorer, type RunningExplorer } from "../src/explorer/run";
import type { ApiError, JobDetail, NetworkSummary, Page, JobSummary } from "../src/explorer/types";
import { encodeTensors } from "../src/codec/tensor";
import type { Deployment } from "../src/deployment";
import { honestOutput, MLP_BYTES, tmpDirOf } from "./fixtures/roles";
import { modesMask } from "../src/sdk";
import { clientOf, INPUT, POLICY, post, sdkWorld } from "./fixtures/sdk";

/** The sdk world with three NONE jobs, each with a posted result, indexed by a running explorer. */
async function explorerWorld() {
  // Index from this world's deployment: the suite's earlier tests left thousands of blocks below it.
  const firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  const w = await sdkWorld();
  const client = await clientOf(w, w.world.requester);
  const jobIds: bigint[] = [];
  for (let i = 0; i < 3; i++) {
    const { jobId } = await client.request({ model: w.modelId, input: INPUT, mode: "none" });
    await post(w, jobId, await honestOutput());
    jobIds.push(jobId);
  }
  return { ...w, jobIds, firstBlock };
}

const deploymentOf = (w: Awaited<ReturnType<typeof explorerWorld>>): Deployment => ({ network: "hardhat", chainId: 31337, deploymentBlock: w.firstBlock, contracts: { ...w.addresses } });

let running: RunningExplorer | undefined;
let webDir: string;

/** An explorer over `w`; its tests' content store is on 127.0.0.1, so private hosts are relayed unless `uris` says otherwise. */
async function explorerOf(w: Awaited<ReturnType<typeof explorerWorld>>, uris: { allowPrivateUris: boolean; allowFileUris: boolean } = { allowPrivateUris: true, allowFileUris: false }): Promise<RunningExplorer> {
  await running?.stop();
  webDir = path.join(tmpDirOf("explorer-web"), "web");
  fs.mkdirSync(path.join(webDir, "assets"), { recursive: true });
  fs.writeFileSync(path.join(webDir, "index.html"), "<!doctype html><title>explorer</title>");
  fs.writeFileSync(path.join(webDir, "assets", "app.js"), "console.log(1)");
  running = await startExplorer({ provider: ethers.provider, deployment: deploymentOf(w), rpcUrl: "http://127.0.0.1:8545", dbFile: path.join(tmpDirOf("explorer-db"), "index.sqlite"), port: 0, webDir, pollMs: 50, ...uris });
  const head = await ethers.provider.getBlockNumber();
  for (let i = 0; i < 100 && running.index.indexedBlock() < head; i++) await running.index.poll();
  expect(running.index.indexedBlock()).to.equal(head);
  return running;
}

// Each test's explorer stops with it: a later fixture's revert would leave its poller reading blocks that are gone.
afterEach(async function () {
  await running?.stop();
  running = undefined;
});

async function get(e: RunningExplorer, route: string, init?: RequestInit): Promise<{ status: number; body: unknown; type: string | null; bytes: Uint8Array }> {
  const res = await fetch(e.url + route, init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get("content-type");
  const body = type?.startsWith("application/json") ? JSON.parse(Buffer.from(bytes).toString()) : undefined;
  return { status: res.status, body, type, bytes };
}

/** Expects an ApiError of `status` and `code` whose message matches `message`. */
async function expectError(e: RunningExplorer, route: string, status: number, code: ApiError["error"]["code"], message: RegExp, init?: RequestInit): Promise<void> {
  const res = await get(e, route, init);
  expect(res.status, route).to.equal(status);
  const error = (res.body as ApiError).error;
  expect(error.code, route).to.equal(code);
  expect(error.message, route).to.match(message);
}

describe("explorer API: what it answers", function () {
  it("serves the summary, a page of jobs, one job with its timeline, and its input bytes", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    const summary = (await get(e, "/api/summary")).body as NetworkSummary;
    expect(summary.jobs.total).to.equal(3);
    expect(summary.chainId).to.equal(31337);
    const page = (await get(e, "/api/jobs?limit=2&page=2")).body as Page<JobSummary>;
    expect(page).to.deep.include({ page: 2, limit: 2, total: 3, pages: 2 });
    expect(page.items).to.have.length(1);
    const job = (await get(e, `/api/jobs/${w.jobIds[0]}`)).body as JobDetail;
    expect(job.jobId).to.equal(w.jobIds[0].toString());
    expect(job.timeline.map((s) => s.kind)).to.include.members(["requested", "assigned", "resultPosted"]);
    const input = await get(e, `/api/jobs/${w.jobIds[0]}/input`);
    expect(input.type).to.equal("application/octet-stream");
    expect(Buffer.from(input.bytes).equals(Buffer.from(encodeTensors(INPUT)))).to.equal(true);
    const output = await get(e, `/api/jobs/${w.jobIds[0]}/output`);
    expect(Buffer.from(output.bytes).equals(Buffer.from(await honestOutput()))).to.equal(true);
  });

  it("proxies a model version's URI that the chain names (the browser checks its SHA-256)", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    const res = await get(e, `/api/content?uri=${encodeURIComponent(w.modelUri)}`);
    expect(res.status).to.equal(200);
    expect(sha256(res.bytes)).to.equal(sha256(MLP_BYTES));
  });

  it("serves the pages' index for any page path and their assets", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    expect((await get(e, "/jobs/1")).type).to.match(/^text\/html/);
    expect((await get(e, "/assets/app.js")).type).to.match(/^text\/javascript/);
  });
});

describe("explorer API: bad requests get a clear error, never a crash", function () {
  it("refuses ids that are not uint256 decimals, and answers 404 for ids nobody used", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    await expectError(e, "/api/jobs/abc", 400, "BAD_PARAMETER", /job id must be a whole number .* not "abc"/);
    await expectError(e, "/api/jobs/-1", 400, "BAD_PARAMETER", /job id must be a whole number/);
    await expectError(e, "/api/jobs/007", 400, "BAD_PARAMETER", /job id must be a whole number/);
    await expectError(e, `/api/jobs/${2n ** 256n}`, 400, "BAD_PARAMETER", /uint256/);
    await expectError(e, "/api/jobs/%E0%A4%A", 400, "BAD_PARAMETER", /job id/);
    await expectError(e, "/api/jobs/999", 404, "NOT_FOUND", /there is no job 999/);
    await expectError(e, "/api/jobs/999/input", 404, "NOT_FOUND", /there is no job 999/);
    await expectError(e, "/api/models/x1", 400, "BAD_PARAMETER", /model id must be a whole number/);
    await expectError(e, "/api/models/77", 404, "NOT_FOUND", /there is no model 77/);
    await expectError(e, "/api/disputes/1", 404, "NOT_FOUND", /there is no dispute 1/);
    await expectError(e, "/api/nodes/0x1234", 400, "BAD_PARAMETER", /node address must be a 0x-prefixed 20-byte hex address/);
    await expectError(e, `/api/nodes/${"0x" + "ab".repeat(20)}`, 404, "NOT_FOUND", /no node 0x/);
  });

  it("refuses pages out of range, bad limits, unknown filters and parameters given twice", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    await expectError(e, "/api/jobs?page=0", 400, "BAD_PARAMETER", /page must be a whole number from 1 to/);
    await expectError(e, "/api/jobs?page=5", 400, "BAD_PARAMETER", /page 5 is past the last page, 1 \(3 items, 20 a page\)/);
    await expectError(e, "/api/nodes?page=99999999", 400, "BAD_PARAMETER", /page must be a whole number/);
    await expectError(e, "/api/jobs?limit=101", 400, "BAD_PARAMETER", /limit must be a whole number from 1 to 100/);
    await expectError(e, "/api/jobs?limit=1.5", 400, "BAD_PARAMETER", /limit must be a whole number/);
    await expectError(e, "/api/jobs?status=Done", 400, "BAD_PARAMETER", /status must be one of Unassigned, Assigned, Submitted, Disputed, Finalized, Refunded/);
    await expectError(e, "/api/jobs?mode=fast", 400, "BAD_PARAMETER", /mode must be one of NONE, OPTIMISTIC, QUORUM/);
    await expectError(e, "/api/jobs?node=bob", 400, "BAD_PARAMETER", /node must be a 0x-prefixed/);
    await expectError(e, "/api/jobs?sort=fee", 400, "BAD_PARAMETER", /unknown parameter "sort": this route takes status, mode, model, node, requester, page, limit/);
    await expectError(e, "/api/jobs?page=1&page=2", 400, "BAD_PARAMETER", /given more than once/);
    await expectError(e, "/api/summary?x=1", 400, "BAD_PARAMETER", /takes no parameters/);
    // An empty list's first page is not an error.
    const empty = await get(e, "/api/jobs?status=Refunded");
    expect(empty.status).to.equal(200);
    expect(empty.body).to.deep.include({ total: 0, items: [] });
  });

  it("answers unknown routes with the list of routes, and writes with 405", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    await expectError(e, "/api/blocks", 404, "UNKNOWN_ROUTE", /no route \/api\/blocks; the routes are: GET \/api\/config/);
    await expectError(e, "/api/jobs/1/input/more", 404, "UNKNOWN_ROUTE", /no route/);
    await expectError(e, "/api", 404, "UNKNOWN_ROUTE", /no route/);
    await expectError(e, "/api/jobs", 405, "METHOD_NOT_ALLOWED", /POST is not allowed/, { method: "POST", body: "{}" });
    const page = await get(e, "/jobs/1", { method: "DELETE" });
    expect(page.status).to.equal(405);
    // Still answering.
    expect((await get(e, "/api/summary")).status).to.equal(200);
  });

  it("proxies no URI the chain does not name: a visitor cannot read the server's files through it", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    await expectError(e, `/api/content?uri=${encodeURIComponent("file:///etc/passwd")}`, 404, "NOT_FOUND", /the chain names no model version, job input or job output at "file:\/\/\/etc\/passwd"/);
    await expectError(e, `/api/content?uri=${encodeURIComponent(w.modelUri + "x")}`, 404, "NOT_FOUND", /the chain names no/);
    await expectError(e, "/api/content", 400, "BAD_PARAMETER", /uri is missing/);
  });

  it("relays no file and no private host a model's URI names, unless told to (a stranger registers the URI)", async function () {
    const w = await loadFixture(explorerWorld);
    // Anyone may register a model, with any URI: one on the explorer's own disk, one on its loopback.
    const secretFile = path.join(tmpDirOf("explorer-secret"), "secret.txt");
    fs.writeFileSync(secretFile, "TOP-SECRET-FILE");
    const secretServer = http.createServer((_req, res) => res.end("TOP-SECRET-HOST"));
    await new Promise<void>((resolve) => secretServer.listen(0, "127.0.0.1", resolve));
    const hostUri = `http://127.0.0.1:${(secretServer.address() as AddressInfo).port}/admin`;
    try {
      const stranger = await clientOf(w, w.world.others[0]);
      const fileUri = `file://${secretFile}`;
      for (const uri of [fileUri, hostUri]) await stranger.registerModel({ digest: sha256(ethers.toUtf8Bytes(uri)), uri }, { ...POLICY, allowedModes: modesMask("none") });
      const e = await explorerOf(w, { allowPrivateUris: false, allowFileUris: false });
      const file = await get(e, `/api/content?uri=${encodeURIComponent(fileUri)}`);
      expect(file.status).to.equal(403);
      expect((file.body as ApiError).error).to.deep.include({ code: "URI_REFUSED" });
      expect((file.body as ApiError).error.message).to.match(/file:\/\/ URIs are not relayed: start the explorer with --allow-file-uris \(devnets only\)/);
      const host = await get(e, `/api/content?uri=${encodeURIComponent(hostUri)}`);
      expect(host.status).to.equal(403);
      expect((host.body as ApiError).error.message).to.match(/127\.0\.0\.1 is a loopback, private or reserved address/);
      for (const res of [file, host]) expect(Buffer.from(res.bytes).toString()).to.not.contain("TOP-SECRET");
      // A devnet's explorer, told to, relays both.
      const devnet = await explorerOf(w, { allowPrivateUris: true, allowFileUris: true });
      expect(Buffer.from((await get(devnet, `/api/content?uri=${encodeURIComponent(fileUri)}`)).bytes).toString()).to.equal("TOP-SECRET-FILE");
    } finally {
      secretServer.close();
    }
  });

  it("serves no file outside the pages' folder", async function () {
    const w = await loadFixture(explorerWorld);
    const e = await explorerOf(w);
    fs.writeFileSync(path.join(path.dirname(webDir), "secret.txt"), "TOP-SECRET-CONTENT");
    // fetch resolves `..` and `%2e%2e` segments itself (the server sees /secret.txt, a page path: the index);
    // encoded ones reach the server as they are.
    for (const route of ["/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt"]) expect(Buffer.from((await get(e, route)).bytes).toString()).to.not.contain("TOP-SECRET");
    for (const route of ["/assets/..%2f..%2fsecret.txt", "/assets/%2e%2e%2f%2e%2e%2fsecret.txt", "/assets/nothing.js"]) {
      const res = await get(e, route);
      expect(res.status, route).to.equal(404);
      expect(Buffer.from(res.bytes).toString(), route).to.not.contain("TOP-SECRET");
    }
  });
});
