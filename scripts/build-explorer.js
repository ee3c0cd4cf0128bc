#!/usr/bin/env node
// Builds the explorer's web pages (packages/node/web) into packages/node/web/dist: the Preact app
// bundled with esbuild into assets/app.js and assets/app.css (minified, with source maps),
// index.html, and onnxruntime-web's CPU WebAssembly runtime into assets/ort/ (the page's
// in-browser verification loads it from /assets/ort/). `glassbox explorer` serves that directory.
// Run from anywhere: `npm run build:explorer` at the root, or require it and call buildExplorer().
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const WEB = path.join(__dirname, "..", "packages", "node", "web");
const DEFAULT_OUT = path.join(WEB, "dist");

// The pages import "onnxruntime-web/wasm": the CPU-only (WebAssembly) build. Its runtime is this
// pair: with `ort.env.wasm.wasmPaths = "/assets/ort/"` the page imports the Emscripten loader (.mjs)
// and fetches the .wasm (14 MB) from there (checked in Chromium). The default "onnxruntime-web"
// import is the WebGPU/JSEP build: it would load ort-wasm-simd-threaded.jsep.{mjs,wasm} (28 MB) for
// the same CPU kernels. "threaded" is the build's ability; the page sets numThreads = 1, so no
// worker and no SharedArrayBuffer (no cross-origin isolation headers) are needed. The server must
// answer the .wasm as application/wasm and the .mjs as text/javascript.
const ORT_FILES = ["ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"];

/**
 * Bundles the pages into `outDir` (default packages/node/web/dist), replacing what was there.
 * Returns the files written, relative to outDir. Throws when esbuild fails or the bundle imports
 * a `node:` module (the pages and the SDK they import must stay browser-safe).
 */
async function buildExplorer({ outDir = DEFAULT_OUT, quiet = false } = {}) {
  const esbuild = require("esbuild");
  const assets = path.join(outDir, "assets");
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(path.join(assets, "ort"), { recursive: true });

  const nodeImports = [];
  const result = await esbuild.build({
    entryPoints: { app: path.join(WEB, "src", "main.tsx") },
    outdir: assets,
    bundle: true,
    platform: "browser",
    format: "esm",
    target: ["es2022"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: true,
    sourcemap: true,
    metafile: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    logLevel: quiet ? "silent" : "warning",
    tsconfig: path.join(WEB, "tsconfig.json"),
    define: { "process.env.NODE_ENV": '"production"' },
    plugins: [
      {
        // Fail on any node: import (or a bare Node built-in) instead of letting esbuild mark it external.
        name: "no-node-modules",
        setup(build) {
          build.onResolve({ filter: /^node:/ }, (args) => {
            nodeImports.push(`${args.path} (imported by ${path.relative(process.cwd(), args.importer)})`);
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  if (nodeImports.length > 0) throw new Error(`build-explorer: the bundle imports Node modules: ${nodeImports.join(", ")}`);

  fs.copyFileSync(path.join(WEB, "index.html"), path.join(outDir, "index.html"));
  // Each file is one of onnxruntime-web's package exports ("./ort-wasm-simd-threaded.wasm", ...).
  for (const f of ORT_FILES) fs.copyFileSync(require.resolve(`onnxruntime-web/${f}`), path.join(assets, "ort", f));

  const written = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else written.push(path.relative(outDir, p));
    }
  };
  walk(outDir);
  if (!quiet) {
    for (const f of written.sort()) {
      const kb = (fs.statSync(path.join(outDir, f)).size / 1024).toFixed(0);
      console.log(`  ${f}  ${kb} KiB`);
    }
    console.log(`build-explorer: ${path.relative(process.cwd(), outDir) || "."} written`);
  }
  return { outDir, files: written.sort(), metafile: result.metafile };
}

module.exports = { buildExplorer, ORT_FILES };

if (require.main === module) {
  buildExplorer({ quiet: process.argv.includes("--quiet") }).catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
