#!/usr/bin/env node
// Builds packages/node (the @glassbox/node package) into packages/node/dist with tsc: JavaScript
// and declaration files, from src/ including the contract bindings that `hardhat compile` generates
// into src/typechain. Run from anywhere: `npm run build:node` at the root, or `npm run build` in
// packages/node.
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");

const pkg = path.join(__dirname, "..", "packages", "node");
if (!fs.existsSync(path.join(pkg, "src", "typechain", "index.ts"))) {
  console.error("build-node-package: packages/node/src/typechain is missing; run `npx hardhat compile` at the repository root first");
  process.exit(1);
}
fs.rmSync(path.join(pkg, "dist"), { recursive: true, force: true });
const tsc = require.resolve("typescript/bin/tsc");
const run = spawnSync(process.execPath, [tsc, "-p", path.join(pkg, "tsconfig.build.json")], { stdio: "inherit" });
if (run.status !== 0) {
  console.error("build-node-package: tsc failed (see above)");
  process.exit(run.status ?? 1);
}
// The explorer's pages ship built (web/dist), so that an installed `glassbox explorer` serves them.
require("./build-explorer.js")
  .buildExplorer({ outDir: path.join(pkg, "web", "dist"), quiet: true })
  .then(() => console.log(`build-node-package: ${path.relative(process.cwd(), path.join(pkg, "dist"))} and web/dist written`))
  .catch((err) => {
    console.error(`build-node-package: building the explorer's pages failed: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
