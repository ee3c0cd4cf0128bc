#!/usr/bin/env node
"use strict";
// `npx glassbox ...` from a checkout: runs the TypeScript CLI through ts-node (transpile only:
// `npm run typecheck` is where types are checked; start-up stays fast).
const path = require("node:path");
require("ts-node").register({ project: path.join(__dirname, "..", "..", "tsconfig.json"), transpileOnly: true });
require("../src/cli").main();
