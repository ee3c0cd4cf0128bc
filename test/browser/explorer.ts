/**
 * The explorer in a real browser, against the devnet as `npm start` runs it (issue 14): the devnet
 * (a hardhat node, six honest nodes, the dishonest executor, the demo's jobs and the explorer
 * process `glassbox explorer`) on free ports; once its demo is done (its `try:` line), Debian's
 * Chromium (/usr/bin/chromium, driven by playwright-core) opens the explorer's pages:
 *
 *   - the overview lists the demo's jobs;
 *   - the disputed job shows its challenge, committee, votes and the slash; its dispute's page the
 *     committee, each vote and the verdict; the cheat's node page its slash;
 *   - "verify in the browser" (onnxruntime-web in the page, the chain read through the RPC
 *     endpoint, the bytes hash-checked) says verified for an honest job and not within tolerance
 *     for the result the cheat posted;
 *   - the index equals what the contracts report for every job, node and model of the run.
 *
 * A screenshot of each page goes to reports/explorer/. No uncaught error may reach a page.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { JsonRpcProvider } from "ethers";
import { chromium, type Browser, type Page } from "playwright-core";
import { CHROMIUM, CHROMIUM_FLAGS } from "./fixtures/chromium";
import { freePort, freePortRun } from "../../scripts/devnet/chain";
import { NODES } from "../../scripts/devnet/setup";
import { startDevnetProcess, stopProcessGroup } from "../fixtures/devnetProcess";
import {
  compareWithChain,
  defaultExplorerDb,
  ExplorerQueries,
  openExplorerDbReadOnly,
  readDeployment,
  type DisputeDetail,
  type DisputeSummary,
  type JobDetail,
  type JobSummary,
  type NetworkSummary,
  type Page as ApiPage,
} from "../../packages/node/src";

const ROOT = path.resolve(__dirname, "..", "..");
const REPORTS = path.join(ROOT, "reports", "explorer");
const DEVNET_READY_MS = 360_000;
const STEP_MS = 120_000;

interface Devnet {
  dir: string;
  child?: ChildProcess;
  out: string;
  explorer: string;
  rpc: string;
  deploymentFile: string;
}

const devnet: Devnet = { dir: "", out: "", explorer: "", rpc: "", deploymentFile: "" };

async function startDevnet(): Promise<void> {
  devnet.dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-explorer-"));
  const port = await freePort();
  const explorerPort = await freePort();
  devnet.rpc = `http://127.0.0.1:${port}`;
  devnet.explorer = `http://127.0.0.1:${explorerPort}`;
  devnet.deploymentFile = path.join(devnet.dir, "deployment.json");
  const args = [
    "-r",
    require.resolve("ts-node/register/transpile-only"),
    path.join(ROOT, "scripts", "devnet", "main.ts"),
    "--port",
    String(port),
    "--metrics-port",
    String(await freePortRun(NODES.length + 1)),
    "--content-store-port",
    String(await freePort()),
    "--explorer-port",
    String(explorerPort),
    "--state-dir",
    path.join(devnet.dir, "state"),
    "--deployment",
    devnet.deploymentFile,
  ];
  const started = await startDevnetProcess([process.execPath, ...args], { cwd: ROOT, readyMs: DEVNET_READY_MS, onSpawn: (child) => (devnet.child = child) });
  devnet.out = started.output();
  expect(devnet.out, "the devnet prints the explorer's address").to.contain(`explorer: ${devnet.explorer}`);
}

async function stopDevnet(): Promise<void> {
  await stopProcessGroup(devnet.child);
  if (devnet.dir) fs.rmSync(devnet.dir, { recursive: true, force: true });
}

async function api<T>(route: string): Promise<T> {
  const res = await fetch(devnet.explorer + route);
  expect(res.status, route).to.equal(200);
  return (await res.json()) as T;
}

/** Every item of a paged list. */
async function all<T>(route: string): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const p = await api<ApiPage<T>>(`${route}${route.includes("?") ? "&" : "?"}limit=100&page=${page}`);
    items.push(...p.items);
    if (page >= p.pages) return items;
  }
}

/** Waits until the explorer has indexed the chain's head (the demo is over, nothing more is mined but the clock's blocks). */
async function caughtUp(): Promise<void> {
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    const s = await api<NetworkSummary>("/api/summary");
    if (s.lagBlocks <= 2) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error("the explorer did not catch up with the chain within 60 s");
}

let browser: Browser | undefined;
const pageErrors: string[] = [];

async function open(route: string): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (err) => pageErrors.push(`${route}: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") pageErrors.push(`${route}: console: ${msg.text()}`);
  });
  await page.goto(devnet.explorer + route);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(REPORTS, { recursive: true });
  await page.screenshot({ path: path.join(REPORTS, `${name}.png`), fullPage: true });
}

describe("the explorer in a browser, on the devnet (npm start)", function () {
  this.timeout(DEVNET_READY_MS + 10 * STEP_MS);

  let jobs: JobSummary[];
  let dispute: DisputeDetail;
  let disputedJob: JobDetail;

  before(async function () {
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); .ci/run does`);
    if (!fs.existsSync(path.join(ROOT, "packages", "node", "web", "dist", "index.html"))) throw new Error("the explorer's pages are not built: run `npm run build:explorer` (npm run test:browser does)");
    await startDevnet();
    await caughtUp();
    jobs = await all<JobSummary>("/api/jobs");
    const disputes = await all<DisputeSummary>("/api/disputes");
    const lost = disputes.find((d) => d.verdict === "Invalid");
    if (!lost) throw new Error(`the demo's run has no dispute with an Invalid verdict: ${JSON.stringify(disputes)}`);
    dispute = await api<DisputeDetail>(`/api/disputes/${lost.disputeId}`);
    disputedJob = await api<JobDetail>(`/api/jobs/${dispute.jobId}`);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  });

  after(async function () {
    this.timeout(60_000);
    await browser?.close();
    await stopDevnet();
  });

  afterEach(function () {
    expect(pageErrors, "errors in the pages").to.deep.equal([]);
  });

  it("the index equals what the contracts report for every job, node and model of the run", async function () {
    // The explorer process's own index file, read beside it.
    const deployment = readDeployment(devnet.deploymentFile);
    const db = openExplorerDbReadOnly(defaultExplorerDb({ deployment, dataDir: path.join(devnet.dir, "state", "explorer") }));
    const provider = new JsonRpcProvider(devnet.rpc);
    try {
      const mismatches = await compareWithChain(new ExplorerQueries(db, deployment.contracts), provider, deployment);
      expect(mismatches).to.deep.equal([]);
    } finally {
      provider.destroy();
      db.close();
    }
    expect(jobs.length, "jobs indexed").to.be.greaterThan(10);
  });

  it("the overview lists the jobs, with its charts", async function () {
    const page = await open("/");
    const table = page.getByTestId("overview-jobs");
    await table.getByTestId("job-row").first().waitFor({ timeout: STEP_MS });
    const listed = await table.getByTestId("job-row").evaluateAll((els) => els.map((e) => e.getAttribute("data-job-id")));
    expect(listed).to.deep.equal(jobs.slice(0, 20).map((j) => j.jobId));
    expect(await page.getByTestId("stat-jobs").innerText()).to.contain(String(jobs.length));
    await page.locator(".vega-embed").first().waitFor({ timeout: STEP_MS });
    await shot(page, "overview");
    await page.close();
  });

  it("a disputed job shows its challenge, committee, votes and the slash", async function () {
    const page = await open(`/jobs/${dispute.jobId}`);
    await page.getByTestId("timeline-step").first().waitFor({ timeout: STEP_MS });
    const kinds = await page.getByTestId("timeline-step").evaluateAll((els) => els.map((e) => e.getAttribute("data-kind")));
    expect(kinds).to.include.members(["requested", "assigned", "resultPosted", "challenged", "committeeDrawn", "voteRevealed", "disputeResolved", "collateralSlashed", "finalized"]);
    expect(kinds.filter((k) => k === "voteRevealed")).to.have.length(dispute.reveals.length);
    await shot(page, "job-disputed");
    await page.close();

    const d = await open(`/disputes/${dispute.disputeId}`);
    await d.getByTestId("dispute-committee").waitFor({ timeout: STEP_MS });
    const voters = await d.getByTestId("dispute-vote").evaluateAll((els) => els.map((e) => (e.getAttribute("data-voter") ?? "").toLowerCase()));
    expect([...new Set(voters)].sort()).to.deep.equal(dispute.committee.map((m) => m.toLowerCase()).sort());
    expect(await d.getByTestId("vote-verdict").count()).to.equal(dispute.reveals.length);
    expect(dispute.reveals.length, "votes revealed").to.be.greaterThan(0);
    expect(await d.getByTestId("dispute-verdict").innerText()).to.contain("Invalid");
    expect(await d.getByTestId("dispute-slash").count()).to.be.greaterThan(0);
    await shot(d, "dispute");
    await d.close();
  });

  it("the cheat's node page shows its slash", async function () {
    const cheat = dispute.slashes[0]?.node;
    expect(cheat, "the dispute slashed someone").to.be.a("string");
    const page = await open(`/nodes/${cheat}`);
    await page.getByTestId("node-slash").first().waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId("node-slash").count()).to.be.greaterThan(0);
    await shot(page, "node-cheat");
    await page.close();
  });

  it("a model's page lists its versions and jobs", async function () {
    const page = await open(`/models/${disputedJob.modelId}`);
    await page.getByTestId("model-version").first().waitFor({ timeout: STEP_MS });
    expect(await page.getByTestId("job-row").count()).to.be.greaterThan(0);
    await shot(page, "model");
    await page.close();
  });

  it("verify in the browser: an honest job verifies", async function () {
    const honest = jobs.find((j) => j.status === "Finalized" && j.mode === "OPTIMISTIC" && !j.disputed && j.modelId === disputedJob.modelId);
    expect(honest, "an honest finalized job of the MLP").to.not.equal(undefined);
    const page = await open(`/jobs/${honest!.jobId}`);
    await page.getByTestId("verify-button").first().click();
    const result = page.getByTestId("verify-result").first();
    await result.and(page.locator("[data-verdict]")).waitFor({ timeout: STEP_MS });
    expect(await result.getAttribute("data-verdict"), await result.innerText()).to.equal("verified");
    await shot(page, "verify-honest");
    await page.close();
  });

  it("verify in the browser: the result the cheat posted is not within tolerance", async function () {
    const cheat = dispute.slashes[0].node.toLowerCase();
    const posted = disputedJob.timeline.find((s) => s.kind === "resultPosted" && String(s.detail.executor).toLowerCase() === cheat);
    expect(posted, "the cheat's posted result in the timeline").to.not.equal(undefined);
    const page = await open(`/jobs/${dispute.jobId}`);
    const button = page.locator(`[data-testid="verify-button"][data-tx="${posted!.txHash}"]`);
    await button.click();
    const result = page.locator(`[data-testid="verify-result"][data-tx="${posted!.txHash}"][data-verdict]`);
    await result.waitFor({ timeout: STEP_MS });
    expect(await result.getAttribute("data-verdict"), await result.innerText()).to.equal("not-within-tolerance");
    await shot(page, "verify-cheat");
    await page.close();
  });
});
