// Coverage of the protocol's own contracts: test-only mocks and harnesses are not measured.
module.exports = {
  skipFiles: ["test/"],
  configureYulOptimizer: true,
  // json-summary feeds scripts/check-coverage.js (the CI thresholds); text prints the table.
  istanbulReporter: ["text", "json-summary", "lcov"],
  mocha: { timeout: 600000 },
};
