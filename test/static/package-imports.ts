/**
 * Code outside packages/node uses the node package as a program that installed @glassbox/node
 * would: through its two entries, packages/node/src (index.ts: the SDK plus the Node-only API) and
 * packages/node/src/sdk (sdk/index.ts: the browser-safe client SDK), and the generated contract
 * bindings under packages/node/src/typechain. Scripts, tasks, chaos scenarios, benchmarks, tests
 * and the testkit that reach into a module (src/deployment, src/codec/tensor, ...) would tie them to
 * the package's layout: a symbol they need that no entry exports is added to an entry instead
 * (to sdk/index.ts only when it is browser-safe). The other direction holds too: nothing in
 * packages/node/src imports packages/testkit or any file outside packages/node/src.
 *
 * The imports are read with the TypeScript compiler's pre-processor, as in import-cycles.ts:
 * imports, `import type`, re-exports, `import()` and `require()` count; comments and strings do not.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");

/** Where the code outside packages/node lives, relative to the repository root. */
const OUTSIDE = ["scripts", "tasks", "test", "deploy", "examples", path.join("packages", "testkit"), "hardhat.config.ts"];
/** Folders never read: installed packages and build output. */
const SKIP = new Set(["node_modules", "artifacts", "cache", "dist"]);
const NODE_SRC = path.join("packages", "node", "src");

/** Every .ts file at or under `target` (a file or a folder), as absolute paths; a missing one gives none. */
function tsFiles(target: string): string[] {
  if (!fs.existsSync(target)) return [];
  if (!fs.statSync(target).isDirectory()) return target.endsWith(".ts") && !target.endsWith(".d.ts") ? [target] : [];
  return fs.readdirSync(target, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() && SKIP.has(entry.name) ? [] : tsFiles(path.join(target, entry.name))));
}

/** `file`'s relative import specifiers, each with the file it names (`./x` -> x.ts or x/index.ts; the bare path when neither exists). */
function relativeImports(file: string): { specifier: string; target: string }[] {
  const info = ts.preProcessFile(fs.readFileSync(file, "utf8"), true, true);
  return info.importedFiles
    .map((ref) => ref.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => {
      const base = path.resolve(path.dirname(file), specifier);
      const target = [`${base}.ts`, path.join(base, "index.ts"), base].find((candidate) => fs.existsSync(candidate) && fs.statSync(candidate).isFile()) ?? base;
      return { specifier, target };
    });
}

/** Whether `file` is `dir` or lies under it. */
function isUnder(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return !rel.startsWith("..") && !path.isAbsolute(rel);
}

/** Whether `target`, a file of packages/node/src, may be imported from outside the package. */
function isPublic(src: string, target: string): boolean {
  const rel = path.relative(src, target);
  return rel === "index.ts" || rel === path.join("sdk", "index.ts") || isUnder(path.join(src, "typechain"), target);
}

/** `file: specifier` for each import outside packages/node (of the repository at `root`) that reaches past the node's entries. */
function deepImports(root: string): string[] {
  const src = path.join(root, NODE_SRC);
  return OUTSIDE.flatMap((place) => tsFiles(path.join(root, place))).flatMap((file) =>
    relativeImports(file)
      .filter(({ target }) => isUnder(src, target) && !isPublic(src, target))
      .map(({ specifier }) => `${path.relative(root, file)}: ${specifier}`),
  );
}

/** `file: specifier` for each import in packages/node/src (of the repository at `root`) of a file outside it. */
function outwardImports(root: string): string[] {
  const src = path.join(root, NODE_SRC);
  return tsFiles(src).flatMap((file) =>
    relativeImports(file)
      .filter(({ target }) => !isUnder(src, target))
      .map(({ specifier }) => `${path.relative(root, file)}: ${specifier}`),
  );
}

describe("packages/node is used through its entries", function () {
  it("finds a deep import and an import out of the package when there is one (the check itself)", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-package-imports-"));
    try {
      const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
      };
      write("packages/node/src/index.ts", 'export * from "./sdk";\n');
      write("packages/node/src/sdk/index.ts", 'export * from "../codec/tensor";\n');
      write("packages/node/src/codec/tensor.ts", 'import type { K } from "../../../testkit/src/kit";\nexport const x = 1;\n');
      write("packages/node/src/deployment.ts", "export type Deployment = object;\n");
      write("packages/node/src/typechain/factories/Token__factory.ts", 'export * from "../index";\n');
      write("packages/node/src/typechain/index.ts", "export const Token = 1;\n");
      write("packages/testkit/src/kit.ts", 'import { x } from "../../node/src/codec/tensor";\nexport type K = typeof x;\n');
      write(
        "scripts/a.ts",
        [
          'import { x } from "../packages/node/src";',
          'import { x as y } from "../packages/node/src/sdk";',
          'import { x as z } from "../packages/node/src/sdk/index";',
          'import { Token } from "../packages/node/src/typechain/factories/Token__factory";',
          'import type { Deployment } from "../packages/node/src/deployment";',
          '// import "../packages/node/src/codec/tensor";',
          'const s = "../packages/node/src/codec/tensor";',
          'export async function f() { return import("../packages/node/src/codec/tensor"); }',
        ].join("\n"),
      );
      write("hardhat.config.ts", 'export { x } from "./packages/node/src/codec/tensor";\n');
      write("test/node_modules/p/q.ts", 'import "../../../packages/node/src/codec/tensor";\n');
      expect(deepImports(dir).sort()).to.deep.equal(
        [
          "hardhat.config.ts: ./packages/node/src/codec/tensor",
          "packages/testkit/src/kit.ts: ../../node/src/codec/tensor",
          "scripts/a.ts: ../packages/node/src/deployment",
          "scripts/a.ts: ../packages/node/src/codec/tensor",
        ].sort(),
      );
      expect(outwardImports(dir)).to.deep.equal(["packages/node/src/codec/tensor.ts: ../../../testkit/src/kit"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("from scripts, tasks, tests, deploy, examples, the testkit and hardhat.config.ts: only packages/node/src, packages/node/src/sdk and the typechain bindings (export what is missing from an entry)", function () {
    expect(deepImports(ROOT)).to.deep.equal([]);
  });

  it("from packages/node/src: nothing outside it (no testkit, no test fixtures, no scripts)", function () {
    expect(outwardImports(ROOT)).to.deep.equal([]);
  });
});
