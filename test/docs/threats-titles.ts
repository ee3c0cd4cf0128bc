/**
 * docs/THREATS.md names, under each threat, the tests that fail when its guard is removed, as
 * `path` "describe > ... > it". A renamed or deleted test would leave the document claiming a
 * check that no longer runs: every cited file must exist and contain every title of the chain.
 *
 * A title that itself contains `"` or ` > ` is cited with Markdown's backslash escapes, which render
 * as the plain character: `\"` for a quote and ` \> ` for a ` > ` inside one title. Only an
 * unescaped ` > ` separates two titles of the chain.
 */
import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const CITATION = /`((?:test|packages\/node\/test)\/[^`]+\.ts)` "((?:[^"\\\n]|\\.)+)"/g;

/** The titles of a cited chain: split on " > " (an escaped " \\> " is not a separator), then drop the escapes. */
function chainOf(cited: string): string[] {
  return cited.split(" > ").map((title) => title.replace(/\\(.)/g, "$1"));
}

interface Citation {
  line: number;
  file: string;
  titles: string[];
}

function citations(text: string): Citation[] {
  const out: Citation[] = [];
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(CITATION)) out.push({ line: i + 1, file: m[1], titles: chainOf(m[2]) });
  });
  return out;
}

/** The string literals of a test file, unescaped enough to compare titles. */
function literals(source: string): Set<string> {
  const found = new Set<string>();
  for (const m of source.matchAll(/"((?:[^"\\\n]|\\.)*)"|`((?:[^`\\]|\\.)*)`/g)) found.add((m[1] ?? m[2]).replace(/\\(.)/g, "$1"));
  return found;
}

/**
 * Whether `title` is a title of `source`: one of its string literals, or the run-time value of one
 * of its template literals (`... ${x} ...`, each `${}` standing for any text, the rest matched
 * exactly from start to end). A template with fewer than 10 fixed characters would match almost
 * anything and is not used.
 */
function hasTitle(strings: Set<string>, title: string): boolean {
  if (strings.has(title)) return true;
  for (const t of strings) {
    if (!t.includes("${")) continue;
    const parts = t.split(/\$\{[^}]*\}/);
    if (parts.join("").trim().length < 10) continue;
    const pattern = parts.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*");
    if (new RegExp(`^${pattern}$`).test(title)) return true;
  }
  return false;
}

/** Every citation of `text` whose file or titles do not exist, one line each. */
function missingCitations(text: string): { cited: number; missing: string[] } {
  const cited = citations(text);
  const missing: string[] = [];
  for (const c of cited) {
    const file = path.join(ROOT, c.file);
    if (!fs.existsSync(file)) {
      missing.push(`line ${c.line}: ${c.file} does not exist`);
      continue;
    }
    const strings = literals(fs.readFileSync(file, "utf8"));
    for (const title of c.titles) {
      if (!hasTitle(strings, title)) missing.push(`line ${c.line}: ${c.file} has no test titled "${title}"`);
    }
  }
  return { cited: cited.length, missing };
}

describe("docs/THREATS.md", function () {
  it("cites tests that exist, by file and by every title of their describe/it chain", function () {
    const { cited, missing } = missingCitations(fs.readFileSync(path.join(ROOT, "docs", "THREATS.md"), "utf8"));
    expect(cited, "no citation found: the pattern no longer matches the document").to.be.greaterThan(40);
    expect(missing, missing.join("\n")).to.deep.equal([]);
  });

  it("reads titles that contain an escaped quote or separator, and reports one that does not exist", function () {
    expect(chainOf('a \\"b\\" \\> c > d')).to.deep.equal(['a "b" > c', "d"]);
    // A real template title with quotes in it (THREATS.md cites it), then the same with one word changed.
    const real = '- `test/unit/ModelRegistry.ts` "ModelRegistry > registerModel > reverts with InvalidPolicy(\\"exact\\") for {\\"allowedModes\\":15}"';
    expect(missingCitations(real)).to.deep.equal({ cited: 1, missing: [] });
    const wrong = missingCitations(real.replace("registerModel", "registerModels"));
    expect(wrong.missing).to.deep.equal(['line 1: test/unit/ModelRegistry.ts has no test titled "registerModels"']);
  });
});
