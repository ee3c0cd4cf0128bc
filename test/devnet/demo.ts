/**
 * The README's main job, as CI runs it: the devnet demo with --exit (a local chain, six honest
 * node processes, a dishonest one, the demo client), on free ports and a temporary state directory;
 * once on `hardhat node` (the default, its clock sped up) and once on anvil with interval mining (a
 * block a second, no automine, real time).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePort, freePortRun } from "../../scripts/devnet/chain";
import { DISHONEST, NODES, devnetWallet } from "../../scripts/devnet/setup";
import { DEVNET_MODELS } from "../../scripts/devnet/models";
import type { Summary } from "../../scripts/devnet/main";

const ROOT = path.resolve(__dirname, "..", "..");

interface DemoRun {
  dir: string;
  port: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs `npm start -- --exit --chain <chain>` on free ports and a temporary directory. */
async function runDemo(chain: "hardhat" | "anvil"): Promise<DemoRun> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-devnet-"));
  const port = await freePort();
  const args = [
    "-r",
    require.resolve("ts-node/register/transpile-only"),
    path.join(ROOT, "scripts", "devnet", "main.ts"),
    "--exit",
    "--port",
    String(port),
    "--metrics-port",
    String(await freePortRun(NODES.length + 1)),
    // The hardhat and anvil demos run side by side: each needs its own content store port too.
    "--content-store-port",
    String(await freePort()),
    "--explorer-port",
    "0",
    "--state-dir",
    path.join(dir, "state"),
    "--deployment",
    path.join(dir, "deployment.json"),
    "--chain",
    chain,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", (code) => {
      children.delete(child);
      resolve({ dir, port, code, stdout, stderr });
    });
  });
}

/**
 * The anvil demo spends its five minutes waiting for real-time windows, not computing: it starts
 * when mocha loads this file, so that it runs beside the rest of the suite, and its tests take its
 * result when their turn comes. The hardhat demo runs in its turn (its clock runs 10x the wall
 * clock, and it is the one a loaded machine could make miss a window).
 */
const early: Partial<Record<"hardhat" | "anvil", Promise<DemoRun>>> = { anvil: runDemo("anvil") };

// A run cut short (--bail, a filter that leaves the anvil tests out) must not leave the demo running.
after(function () {
  for (const child of children) child.kill("SIGTERM");
});

for (const chain of ["hardhat", "anvil"] as const) {
  describe(chain === "hardhat" ? "the devnet demo (npm start -- --exit)" : "the devnet demo on anvil (npm start -- --exit --chain anvil)", function () {
    this.timeout(900_000);
    let dir: string;
    let run: DemoRun;

    before(async function () {
      run = await (early[chain] ?? runDemo(chain));
      dir = run.dir;
    });

    after(function () {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    function summary(): Summary {
      const last = run.stdout.trim().split("\n").pop() ?? "";
      return JSON.parse(last) as Summary;
    }

    it("exits 0 and prints the JSON summary as its last line", function () {
      expect(run.code, `exit ${run.code}\n${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`).to.equal(0);
      expect(Object.keys(summary())).to.deep.equal(["jobs", "finalized", "refunded", "invalid", "slashed", "seconds"]);
    });

    it("ran every model in every mode it allows (QUORUM on exact models only), the misfit input and at least one job of the cheat", function () {
      const s = summary();
      const act1 = DEVNET_MODELS.reduce((n, m) => n + (m.exact ? 3 : 2), 0) + 1;
      expect(s.jobs).to.be.greaterThan(act1);
      expect(s.invalid).to.equal(1);
      // Every job but the misfit one finalized (a cheat's job is reassigned to an honest executor).
      // (or, rarely, refunded when the retry after the cheat's slash could draw nobody: the demo itself
      // fails on any other refund, so only the cheat's jobs can be among these)
      expect(s.finalized + s.refunded).to.equal(s.jobs - 1);
      for (const model of DEVNET_MODELS) {
        for (const mode of ["NONE", "OPTIMISTIC"]) expect(run.stdout).to.contain(`${model.name}/${mode}, requested by`);
        if (model.exact) expect(run.stdout).to.contain(`${model.name}/QUORUM, requested by`);
        else expect(run.stdout).not.to.contain(`${model.name}/QUORUM`);
      }
      expect(run.stdout).to.not.contain("OUTPUT NOT VERIFIED");
    });

    it("slashed the dishonest executor and no honest node", function () {
      const s = summary();
      const cheat = devnetWallet(DISHONEST.accountIndex).address;
      expect(s.slashed).to.include(cheat);
      const honest = NODES.map((n) => devnetWallet(n.accountIndex).address);
      for (const a of s.slashed) expect(honest).to.not.include(a);
    });

    it(`ran on ${chain}${chain === "anvil" ? ", mining a block a second without automine" : ""}`, function () {
      const first = run.stdout.split("\n").find((l) => l.startsWith("starting ")) ?? "";
      if (chain === "anvil") expect(first).to.contain("starting anvil (a block every 1 s, no automine)");
      else expect(first).to.contain("starting hardhat node");
    });

    it("leaves no process behind", async function () {
      // The nodes were started with data directories under `dir`; the chain listened on `port`.
      expect(spawnSyncText("ps", ["-eo", "args"])).to.not.contain(dir);
      const answer = await fetch(`http://127.0.0.1:${run.port}`, { method: "POST", body: "{}", signal: AbortSignal.timeout(2_000) }).then(
        () => "answered",
        () => "refused",
      );
      expect(answer).to.equal("refused");
    });
  });
}

function spawnSyncText(cmd: string, args: string[]): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  return spawnSync(cmd, args, { encoding: "utf8" }).stdout;
}
