/**
 * The node package as a user gets it: `npm pack` of packages/node (after its tsc build) installed
 * into an empty folder outside the repository, where a dApp's TypeScript imports the SDK and the
 * node and compiles, the modules load in plain Node, and the installed `glassbox` runs the compiled
 * CLI. Installation takes the packages from npm's cache when it has them (`--prefer-offline`) and
 * runs no install script (onnxruntime-node's only downloads CUDA libraries; better-sqlite3 is not
 * loaded here).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";

const ROOT = path.resolve(__dirname, "..", "..");
const PKG = path.join(ROOT, "packages", "node");

interface RootManifest {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}
interface PackageManifest extends RootManifest {
  name: string;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
}

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;

function run(command: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", npm_config_update_notifier: "false" } });
  if (result.error) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  expect(result.status, `${what} exited ${result.status}\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`).to.equal(0);
  return result.stdout;
}

/** What a dApp writes: the SDK for the chain, the node entry for a deployment file and a local model run. */
const CONSUMER = `import { JsonRpcProvider, Wallet } from "ethers";
import { GlassboxClient, GlassboxError, Mode, compareOutputs, decodeTensors, encodeTensors, jobIdOf, MAX_INLINE_INPUT_BYTES, type JobProgress, type JobResult } from "@glassbox/node/sdk";
import { connectFromFile, onnxModelRunner, readDeployment, type Deployment } from "@glassbox/node";

export async function classify(rpc: string, key: string, deploymentFile: string): Promise<string> {
  const provider = new JsonRpcProvider(rpc);
  const deployment: Deployment = readDeployment(deploymentFile);
  const client: GlassboxClient = await GlassboxClient.connect({ deployment }, new Wallet(key, provider));
  const input = { x: { dtype: "float32" as const, shape: [1, 4], data: [0.1, 0.2, 0.3, 0.4] } };
  const bytes: Uint8Array = encodeTensors(input);
  if (bytes.length > MAX_INLINE_INPUT_BYTES) throw new Error("too large");
  const { jobId } = await client.request({ model: 1n, input, mode: Mode.OPTIMISTIC });
  const seen: JobProgress["kind"][] = [];
  await client.wait(jobId, { onProgress: (e: JobProgress) => seen.push(e.kind) });
  const result: JobResult = await client.result(jobId);
  if (result.kind === "invalid") return result.reason;
  const again = await connectFromFile(deploymentFile, provider);
  const report = await again.verify(jobId, onnxModelRunner());
  const same = compareOutputs(encodeTensors({ y: { dtype: "float32", shape: [1], data: [1] } }), encodeTensors({ y: { dtype: "float32", shape: [1], data: [1] } }), { exact: true, absTolerance: 0n, relTolerance: 0n });
  return [seen.join(","), Object.keys(decodeTensors(bytes)).join(","), String(report.withinTolerance), String(same.equal), String(jobIdOf({ logs: [] }) ?? "")].join(" ");
}

export function codeOf(err: unknown): string | undefined {
  return err instanceof GlassboxError ? err.code : undefined;
}
`;

/** The same dApp getting the types wrong: each line must be refused by the compiler. */
const MISUSE = `import { GlassboxClient, Mode } from "@glassbox/node/sdk";
export const mode: Mode = "nonsense";
export async function f(client: GlassboxClient): Promise<void> {
  await client.request({ model: 1n, mode: Mode.OPTIMISTIC });
}
`;

describe("the node package: npm pack, installed into an empty folder", function () {
  this.timeout(900_000);
  const pkg = readJson<PackageManifest>(path.join(PKG, "package.json"));
  const root = readJson<RootManifest>(path.join(ROOT, "package.json"));
  let work: string;
  let consumer: string;
  let files: string[];
  let installed: string;

  before(function () {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-pack-"));
    ok(run(process.execPath, [path.join(ROOT, "scripts", "build-node-package.js")], ROOT), "the package build");
    const packed = ok(run("npm", ["pack", "--json", "--pack-destination", work], PKG), "npm pack");
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    files = info.files.map((f) => f.path).sort();
    consumer = path.join(work, "consumer");
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    const tools = [`typescript@${root.devDependencies.typescript}`, `@types/node@${root.devDependencies["@types/node"]}`];
    ok(run("npm", ["install", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund", path.join(work, info.filename), ...tools], consumer), "npm install of the tarball");
    installed = path.join(consumer, "node_modules", "@glassbox", "node");
  });

  after(function () {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  describe("what the tarball holds", function () {
    it("the compiled JavaScript with its declarations, the bin and the manifest; no TypeScript source, test or testkit file", function () {
      expect(files).to.include.members(["package.json", "bin/glassbox.js", "dist/index.js", "dist/index.d.ts", "dist/sdk/index.js", "dist/sdk/index.d.ts", "dist/cli.js", "web/dist/index.html", "web/dist/assets/app.js"]);
      const stray = files.filter((f) => (f.endsWith(".ts") && !f.endsWith(".d.ts")) || f.startsWith("src/") || f.startsWith("test/") || /testkit|dishonest|onnxBuilder/.test(f));
      expect(stray).to.deep.equal([]);
    });

    it("declares its runtime dependencies, ethers among them, at the versions the repository is tested with", function () {
      expect(pkg.dependencies).to.include.keys("ethers", "onnxruntime-node", "better-sqlite3", "commander");
      for (const [name, version] of Object.entries(pkg.dependencies)) {
        expect(root.dependencies[name] ?? root.devDependencies[name], `${name} in the root package.json`).to.equal(version);
      }
    });

    it("reaches no file outside itself: every relative require of its JavaScript resolves inside the installed package", function () {
      const escapes: string[] = [];
      const walk = (dir: string): void => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (entry.name.endsWith(".js") || entry.name.endsWith(".d.ts")) {
            for (const m of fs.readFileSync(full, "utf8").matchAll(/(?:require\(|from )"(\.{1,2}\/[^"]+)"/g)) {
              const target = path.resolve(path.dirname(full), m[1]);
              if (!target.startsWith(installed + path.sep)) escapes.push(`${path.relative(installed, full)}: ${m[1]}`);
            }
          }
        }
      };
      walk(installed);
      expect(escapes).to.deep.equal([]);
      expect(fs.readFileSync(path.join(installed, "dist", "index.js"), "utf8")).to.not.include(ROOT);
    });
  });

  describe("a dApp's TypeScript", function () {
    const tsc = (project: string) => run(process.execPath, [path.join(consumer, "node_modules", "typescript", "bin", "tsc"), "-p", project], consumer);
    // One compile checks the installed declarations themselves (skipLibCheck off); the others only use them.
    const project = (name: string, moduleResolution: string, file: string, skipLibCheck = true) => {
      const module = moduleResolution === "node" ? "commonjs" : "node16";
      fs.writeFileSync(path.join(consumer, `${name}.json`), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: "es2022", module, moduleResolution, esModuleInterop: true, skipLibCheck, types: ["node"] }, files: [file] }));
      return path.join(consumer, `${name}.json`);
    };

    it("compiles against the installed declarations, resolving @glassbox/node/sdk through exports (node16) and through typesVersions (node)", function () {
      fs.writeFileSync(path.join(consumer, "app.ts"), CONSUMER);
      ok(tsc(project("tsconfig.node16", "node16", "app.ts", false)), "tsc with node16 resolution");
      ok(tsc(project("tsconfig.node10", "node", "app.ts")), "tsc with node resolution");
    });

    it("is refused when it gets the types wrong: the declarations are real types, not any", function () {
      fs.writeFileSync(path.join(consumer, "misuse.ts"), MISUSE);
      const result = tsc(project("tsconfig.misuse", "node16", "misuse.ts"));
      expect(result.status).to.not.equal(0);
      expect(result.stdout).to.match(/misuse\.ts\(2,14\): error TS2322: Type '"nonsense"' is not assignable to type 'Mode'/);
      expect(result.stdout).to.match(/misuse\.ts\(4,24\): error TS2345: .*'input' is missing/s);
    });
  });

  describe("in plain Node", function () {
    it("loads the SDK and the node entry from the installed package and runs the codec", function () {
      const script = `const sdk = require("@glassbox/node/sdk"); const node = require("@glassbox/node");
const bytes = sdk.encodeTensors({ x: { dtype: "float32", shape: [2], data: [1.5, -2] } });
const back = sdk.decodeTensors(bytes);
console.log(JSON.stringify({ client: typeof sdk.GlassboxClient, same: node.GlassboxClient === sdk.GlassboxClient, createNode: typeof node.createNode, x: Array.from(back.x.data) }));`;
      const out = JSON.parse(ok(run(process.execPath, ["-e", script], consumer), "node -e").trim()) as Record<string, unknown>;
      expect(out).to.deep.equal({ client: "function", same: true, createNode: "function", x: [1.5, -2] });
    });

    it("installs the glassbox command, which runs the compiled CLI (no ts-node in the folder)", function () {
      expect(pkg.bin).to.deep.equal({ glassbox: "bin/glassbox.js" });
      expect(fs.existsSync(path.join(consumer, "node_modules", "ts-node"))).to.equal(false);
      const help = ok(run(path.join(consumer, "node_modules", ".bin", "glassbox"), ["--help"], consumer), "glassbox --help");
      expect(help).to.match(/^Usage: glassbox/);
      expect(help).to.include("job").and.to.include("model").and.to.include("node").and.to.include("explorer");
    });

    it("ships the explorer's built pages where the installed explorer serves them from", function () {
      const dir = ok(run(process.execPath, ["-e", 'console.log(require("@glassbox/node").DEFAULT_WEB_DIR)'], consumer), "node -e").trim();
      expect(dir.startsWith(consumer)).to.equal(true);
      expect(fs.existsSync(path.join(dir, "index.html")), `${dir}/index.html`).to.equal(true);
      expect(fs.existsSync(path.join(dir, "assets", "app.js")), `${dir}/assets/app.js`).to.equal(true);
    });
  });
});
