// Fails (exit 1) when the line or branch coverage in an istanbul coverage-summary.json is below
// the thresholds given on the command line: node scripts/check-coverage.js FILE LINES BRANCHES
const fs = require("node:fs");

const [file, minLines, minBranches] = process.argv.slice(2);
if (!file || !fs.existsSync(file)) {
  console.error(`coverage summary not found: ${file}; run 'npm run coverage' first`);
  process.exit(1);
}
const total = JSON.parse(fs.readFileSync(file, "utf8")).total;
const lines = total.lines.pct;
const branches = total.branches.pct;
console.log(`coverage: lines ${lines}% (min ${minLines}%), branches ${branches}% (min ${minBranches}%)`);
if (lines < Number(minLines) || branches < Number(minBranches)) {
  console.error("coverage below the threshold");
  process.exit(1);
}
