#!/usr/bin/env node
"use strict";
// The installed `glassbox` command: the compiled CLI (dist/, built by `npm run build` in this
// package before it is packed). In a checkout of the repository, `npx glassbox` runs
// scripts/glassbox.js instead, over the TypeScript sources.
const path = require("node:path");
const fs = require("node:fs");
const entry = path.join(__dirname, "..", "dist", "cli.js");
if (!fs.existsSync(entry)) {
  console.error(`glassbox: ${entry} is missing: this package was packed without its build; run "npm run build" in packages/node`);
  process.exit(2);
}
require(entry).main();
