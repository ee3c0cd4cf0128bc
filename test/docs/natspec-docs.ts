import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { artifacts } from "hardhat";
import { writeDocs } from "../../scripts/natspec-docs";

const CONTRACTS = path.join(__dirname, "..", "..", "contracts");

/** Every .sol file under `dir`, test mocks in contracts/test/ excluded. */
function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return full === path.join(CONTRACTS, "test") ? [] : sources(full);
    return entry.name.endsWith(".sol") ? [full] : [];
  });
}

/** The contracts, interfaces and libraries declared in the sources, read from the source text. */
function declaredContracts(): string[] {
  const declaration = /^\s*(?:abstract\s+)?(?:contract|interface|library)\s+(\w+)/gm;
  return sources(CONTRACTS)
    .flatMap((file) => [...fs.readFileSync(file, "utf8").matchAll(declaration)].map((m) => m[1]))
    .sort();
}

/** The names of the external and public functions in a contract's compiled ABI. */
async function abiFunctionNames(name: string): Promise<string[]> {
  const fqn = (await artifacts.getAllFullyQualifiedNames()).find(
    (n) => n.startsWith("contracts/") && !n.startsWith("contracts/test/") && n.endsWith(`:${name}`),
  );
  if (fqn === undefined) throw new Error(`no artifact for ${name}`);
  const { abi } = await artifacts.readArtifact(fqn);
  return (abi as { type: string; name?: string }[]).filter((e) => e.type === "function").map((e) => e.name ?? "");
}

describe("natspec-docs", function () {
  let outDir: string;
  let pages: Map<string, string>;

  before(function () {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-api-"));
    writeDocs(outDir);
    pages = new Map(
      fs
        .readdirSync(outDir)
        .filter((f) => f.endsWith(".md") && f !== "README.md")
        .map((f) => [path.basename(f, ".md"), fs.readFileSync(path.join(outDir, f), "utf8")]),
    );
  });

  after(function () {
    fs.rmSync(outDir, { recursive: true, force: true });
  });

  it("writes one page per contract, interface and library in contracts/ (test mocks excluded)", function () {
    expect([...pages.keys()].sort()).to.deep.equal(declaredContracts());
  });

  it("writes an index that links every page", function () {
    const index = fs.readFileSync(path.join(outDir, "README.md"), "utf8");
    for (const name of pages.keys()) expect(index, name).to.include(`](${name}.md)`);
  });

  it("lists every external function of each contract's ABI by name on its page", async function () {
    for (const [name, page] of pages) {
      for (const fn of await abiFunctionNames(name)) {
        expect(page, `${name}.md lacks ${fn}`).to.include(`### ${fn}\n`);
      }
    }
  });

  it("never prints undefined", function () {
    for (const [name, page] of pages) expect(page, `${name}.md`).to.not.include("undefined");
    expect(fs.readFileSync(path.join(outDir, "README.md"), "utf8")).to.not.include("undefined");
  });
});
