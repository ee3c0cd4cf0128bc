import fs from "node:fs";
import path from "node:path";
import { subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST_GET_TEST_FILES } from "hardhat/builtin-tasks/task-names";
import type { HardhatUserConfig } from "hardhat/config";
import "@nomicfoundation/hardhat-toolbox";
import { configVar, ETHERSCAN_KEY_VAR, testnetConfigs } from "./deploy/networks";
import "./tasks/deploy";
import "./tasks/faucet";
import "./tasks/job";
import "./tasks/model";
import "./tasks/stake";

/**
 * The compiler is the npm package `solc` (soljson.js), pinned in package.json. Hardhat's own
 * downloader cannot reach its server from our machines, and a compiler that comes from the
 * lockfile is byte-for-byte what an auditor gets. Only this exact version is accepted, so a
 * pragma change cannot silently pick another compiler.
 */
const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC_VERSION) {
    return runSuper(args);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc") as { version(): string };
  return {
    compilerPath: path.join(path.dirname(require.resolve("solc")), "soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion: solc.version(),
  };
});

/** The browser tests: a script of their own, `npm run test:browser`, not part of `npm test`. */
const BROWSER_TESTS = path.join(__dirname, "test", "browser");

/** Every `*.ts` file below `dir`, except helpers in `fixtures/` folders and the browser tests. */
function testFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    // fixtures hold no tests; test/browser runs as its own script (`npm run test:browser`).
    if (entry.isDirectory()) return entry.name === "fixtures" || full === BROWSER_TESTS ? [] : testFilesIn(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

// `hardhat test` with no file arguments runs the contract tests in test/ and the node's own tests
// in packages/node/test/, and skips the shared fixtures and the browser tests (test/browser, run by
// `npm run test:browser`).
subtask(TASK_TEST_GET_TEST_FILES, async (args: { testFiles: string[] }, _hre, runSuper) => {
  if (args.testFiles.length > 0) return runSuper(args);
  return [...testFilesIn(path.join(__dirname, "test")), ...testFilesIn(path.join(__dirname, "packages", "node", "test"))].sort();
});

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      // The optimizer is on because every user pays for requestInference/submitResult/finalize:
      // they dominate the protocol's gas. 200 runs is the standard trade-off between deploy size
      // (JobRegistry must stay under the 24 KiB EIP-170 limit) and call cost.
      optimizer: { enabled: true, runs: 200 },
      // Cancun: the EVM every target network (Ethereum, Base, Arbitrum and their testnets) runs;
      // it gives transient storage and MCOPY, which OpenZeppelin 5 uses when available.
      evmVersion: "cancun",
      // No via-IR: soljson.js compiles the legacy pipeline several times faster, which keeps CI
      // short, and the legacy pipeline is what most audit tooling maps best.
    },
  },
  networks: {
    hardhat: {
      // Property tests and the gas scaling script stake thousands of nodes.
      accounts: { count: 20, accountsBalance: "1000000000000000000000000" },
    },
    localhost: { url: process.env.GLASSBOX_RPC ?? "http://127.0.0.1:8545" },
    // sepolia, baseSepolia, arbitrumSepolia: <NET>_RPC_URL and DEPLOYER_KEY from the environment or
    // `npx hardhat vars set`. The config loads without them; a task that targets a testnet names
    // what is missing (deploy/networks.ts).
    ...testnetConfigs(),
  },
  // One Etherscan API v2 key covers Sepolia, Base Sepolia and Arbitrum Sepolia (hardhat-verify
  // knows all three chains, so no customChains).
  etherscan: { apiKey: configVar(ETHERSCAN_KEY_VAR) ?? "" },
  sourcify: { enabled: false },
  // The contract bindings are generated inside the node package, whose SDK ships them (never committed).
  typechain: { outDir: "packages/node/src/typechain", target: "ethers-v6" },
  gasReporter: { enabled: process.env.REPORT_GAS === "true", currency: "USD", offline: true },
  mocha: { timeout: 600_000 },
  paths: { tests: "./test" },
};

export default config;
