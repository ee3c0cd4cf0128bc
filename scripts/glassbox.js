#!/usr/bin/env node
"use strict";
// `npx glassbox ...` in a checkout of this repository: runs the node package's TypeScript CLI
// (packages/node/src/cli.ts) through ts-node, transpile only (`npm run typecheck` checks the
// types), so that no build is needed. The published package's bin (packages/node/bin/glassbox.js)
// runs the compiled JavaScript instead.
const path = require("node:path");
require("ts-node").register({ project: path.join(__dirname, "..", "tsconfig.json"), transpileOnly: true });
require("../packages/node/src/cli").main();
