/**
 * The node's source (packages/node/src) imports in one direction only: no file reaches itself through
 * its relative imports, type-only imports and re-exports included. A layer that two others share
 * lives below both (ops/ under roles/, roles/ under node.ts), so a cycle means a type or a helper
 * sits in the wrong file.
 *
 * The imports are read with the TypeScript compiler's own pre-processor (`ts.preProcessFile`), so
 * an import in a comment or a string does not count and `export ... from` does.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const SRC = path.join(__dirname, "..", "..", "packages", "node", "src");

type Graph = Map<string, string[]>;

/** Every .ts file under `dir`, as paths relative to `root`. */
function sourceFiles(root: string, dir = root): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(root, full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path.relative(root, full)] : [];
  });
}

/** The file a relative specifier names (`./x` -> `x.ts` or `x/index.ts`), if it is one of `files`. */
function resolve(from: string, specifier: string, files: Set<string>): string | undefined {
  const base = path.normalize(path.join(path.dirname(from), specifier));
  return [`${base}.ts`, path.join(base, "index.ts"), base].find((candidate) => files.has(candidate));
}

/** file -> the files of `root` it imports, re-exports or loads with `import()`. */
function importGraph(root: string): Graph {
  const files = sourceFiles(root);
  const known = new Set(files);
  const graph: Graph = new Map();
  for (const file of files) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(root, file), "utf8"), true, true);
    const targets = info.importedFiles
      .map((ref) => ref.fileName)
      .filter((name) => name.startsWith("."))
      .map((name) => resolve(file, name, known))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)].sort());
  }
  return graph;
}

/** Each cycle once, as the files on it with the first repeated at the end (a -> b -> a). */
function cyclesOf(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

describe("packages/node/src imports", function () {
  it("finds a cycle when there is one (the check itself)", function () {
    const graph: Graph = new Map([
      ["node.ts", ["roles/a.ts"]],
      ["roles/a.ts", ["ops/m.ts"]],
      ["ops/m.ts", ["roles/a.ts"]],
      ["ops/l.ts", []],
    ]);
    expect(cyclesOf(graph)).to.deep.equal([["roles/a.ts", "ops/m.ts", "roles/a.ts"]]);
    expect(cyclesOf(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).to.deep.equal([]);
  });

  it("reads relative imports, type-only imports and re-exports, and not imports in comments or strings", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-imports-"));
    try {
      fs.mkdirSync(path.join(dir, "ops"));
      const write = (file: string, text: string) => fs.writeFileSync(path.join(dir, file), text);
      write("a.ts", 'import type { B } from "./b";\nexport * from "./ops";\n// import "./c";\nconst s = "import \'./c\'";\nimport fs from "node:fs";\n');
      write("b.ts", "export type B = number;\n");
      write("c.ts", "export const c = 1;\n");
      write("ops/index.ts", 'export { c } from "../c";\n');
      expect(Object.fromEntries(importGraph(dir))).to.deep.equal({ "a.ts": ["b.ts", "ops/index.ts"], "b.ts": [], "c.ts": [], "ops/index.ts": ["c.ts"] });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("form no cycle: move the shared type or helper down to the lower of the files named", function () {
    const cycles = cyclesOf(importGraph(SRC)).map((cycle) => cycle.join(" -> "));
    expect(cycles).to.deep.equal([]);
  });
});
