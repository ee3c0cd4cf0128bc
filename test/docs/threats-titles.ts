/**
 * docs/THREATS.md names, under each threat, the tests that fail when its guard is removed, as
 * `path` "describe > ... > it". A renamed or deleted test would leave the document claiming a
 * check that no longer runs: every cited file must exist and contain every title of the chain.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const CITATION = /`((?:test|verifier\/test)\/[^`]+\.ts)` "([^"]+)"/g;

interface Citation {
  line: number;
  file: string;
  titles: string[];
}

function citations(): Citation[] {
  const text = fs.readFileSync(path.join(ROOT, "docs", "THREATS.md"), "utf8");
  const out: Citation[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(CITATION)) out.push({ line: i + 1, file: m[1], titles: m[2].split(" > ") });
  });
  return out;
}

/** The string literals of a test file, unescaped enough to compare titles. */
function literals(source: string): Set<string> {
  const found = new Set<string>();
  for (const m of source.matchAll(/"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) found.add((m[1] ?? m[2]).replace(/\\(.)/g, "$1"));
  return found;
}

describe("docs/THREATS.md", function () {
  it("cites tests that exist, by file and by every title of their describe/it chain", function () {
    const cited = citations();
    expect(cited.length, "no citation found: the pattern no longer matches the document").to.be.greaterThan(40);
    const missing: string[] = [];
    for (const c of cited) {
      const file = path.join(ROOT, c.file);
      if (!fs.existsSync(file)) {
        missing.push(`line ${c.line}: ${c.file} does not exist`);
        continue;
      }
      const strings = literals(fs.readFileSync(file, "utf8"));
      const templates = [...strings].filter((s) => s.includes("${"));
      for (const title of c.titles) {
        // A title built from a template literal (`... ${x} ...`) matches its fixed parts.
        const fromTemplate = templates.some((t) => t.split(/\$\{[^}]*\}/).every((part) => title.includes(part)));
        if (!strings.has(title) && !fromTemplate) missing.push(`line ${c.line}: ${c.file} has no test titled "${title}"`);
      }
    }
    expect(missing, missing.join("\n")).to.deep.equal([]);
  });
});
