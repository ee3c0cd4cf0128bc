// Renders the NatSpec of every contract, interface and library under contracts/ (test mocks in
// contracts/test/ excluded) into Markdown: docs/api/<Name>.md plus docs/api/README.md.
//
//   npm run docs                                        (compiles first)
//   npx hardhat run --no-compile scripts/natspec-docs.ts
//
// It reads the compiler output in artifacts/build-info/. Hardhat's default output selection has
// no `userdoc`/`devdoc`, but `metadata` always carries both, so a contract's docs come from its
// `userdoc`/`devdoc` when selected and from its metadata otherwise.
import fs from "node:fs";
import path from "node:path";

/** One ABI parameter, as solc writes it. */
interface AbiParam {
  name: string;
  type: string;
  internalType?: string;
  components?: AbiParam[];
  indexed?: boolean;
}

/** One ABI entry (function, event, error, constructor, fallback, receive). */
interface AbiEntry {
  type: string;
  name?: string;
  inputs?: AbiParam[];
  outputs?: AbiParam[];
  stateMutability?: string;
}

/** What `@notice` gives, per member (errors may be documented more than once). */
interface UserDoc {
  notice?: string;
  methods?: Record<string, { notice?: string }>;
  events?: Record<string, { notice?: string }>;
  errors?: Record<string, { notice?: string }[]>;
}

/** What `@title`, `@dev`, `@param` and `@return` give. */
interface DevMember {
  details?: string;
  params?: Record<string, string>;
  returns?: Record<string, string>;
  return?: string;
}
interface DevDoc {
  title?: string;
  details?: string;
  methods?: Record<string, DevMember>;
  events?: Record<string, DevMember>;
  errors?: Record<string, DevMember[]>;
  stateVariables?: Record<string, DevMember>;
}

interface CompiledContract {
  abi: AbiEntry[];
  metadata?: string;
  userdoc?: UserDoc;
  devdoc?: DevDoc;
}

interface AstNode {
  nodeType: string;
  name?: string;
  contractKind?: string;
  abstract?: boolean;
}

interface BuildInfo {
  output: {
    contracts: Record<string, Record<string, CompiledContract>>;
    sources: Record<string, { ast?: { nodes: AstNode[] } }>;
  };
}

/** Everything one page is rendered from. */
export interface ContractDoc {
  name: string;
  source: string;
  kind: string; // "contract", "abstract contract", "interface" or "library"
  abi: AbiEntry[];
  userdoc: UserDoc;
  devdoc: DevDoc;
}

const ROOT = path.join(__dirname, "..");
const DEFAULT_BUILD_INFO = path.join(ROOT, "artifacts", "build-info");
const DEFAULT_OUT = path.join(ROOT, "docs", "api");

/** True for the sources documented: under contracts/, outside contracts/test/. */
function isDocumented(source: string): boolean {
  return source.startsWith("contracts/") && !source.startsWith("contracts/test/");
}

/** Build-info files oldest first, so that a later compilation of a source replaces an earlier one. */
function buildInfoFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
}

/** "contract", "abstract contract", "interface" or "library", from the source's AST. */
function kindOf(info: BuildInfo, source: string, name: string): string {
  const node = info.output.sources[source]?.ast?.nodes.find((n) => n.nodeType === "ContractDefinition" && n.name === name);
  if (!node?.contractKind) return "contract";
  return node.abstract ? `abstract ${node.contractKind}` : node.contractKind;
}

/** The contract's userdoc and devdoc, from the output selection or else from its metadata. */
function docsOf(compiled: CompiledContract): { userdoc: UserDoc; devdoc: DevDoc } {
  if (compiled.userdoc && compiled.devdoc) return { userdoc: compiled.userdoc, devdoc: compiled.devdoc };
  const metadata = compiled.metadata ? (JSON.parse(compiled.metadata) as { output?: { userdoc?: UserDoc; devdoc?: DevDoc } }) : {};
  return { userdoc: metadata.output?.userdoc ?? {}, devdoc: metadata.output?.devdoc ?? {} };
}

/** Every documented contract in the build-info files of `buildInfoDir`, sorted by name. */
export function loadContracts(buildInfoDir: string = DEFAULT_BUILD_INFO): ContractDoc[] {
  const found = new Map<string, ContractDoc>();
  for (const file of buildInfoFiles(buildInfoDir)) {
    const info = JSON.parse(fs.readFileSync(file, "utf8")) as BuildInfo;
    for (const [source, contracts] of Object.entries(info.output.contracts)) {
      if (!isDocumented(source)) continue;
      for (const [name, compiled] of Object.entries(contracts)) {
        const kind = kindOf(info, source, name);
        found.set(`${source}:${name}`, { name, source, kind, abi: compiled.abi, ...docsOf(compiled) });
      }
    }
  }
  return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** Joins NatSpec continuation lines (solc keeps their indentation) into one line. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The ABI type of a parameter as used in a selector: tuples spelt out. */
function canonicalType(p: AbiParam): string {
  if (!p.type.startsWith("tuple")) return p.type;
  return `(${(p.components ?? []).map(canonicalType).join(",")})${p.type.slice("tuple".length)}`;
}

/** The key solc uses in userdoc/devdoc: `name(type,type)`. */
export function signatureOf(entry: AbiEntry): string {
  return `${entry.name ?? entry.type}(${(entry.inputs ?? []).map(canonicalType).join(",")})`;
}

/** A parameter as a reader wants it: its Solidity type (struct, enum or contract name) and name. */
function displayParam(p: AbiParam): string {
  const type = (p.internalType ?? p.type).replace(/^(struct|enum|contract) /, "");
  return [type, p.indexed ? "indexed" : "", p.name].filter((s) => s !== "").join(" ");
}

/** `function name(T a, U b) view returns (V c)`, or the event/error/constructor equivalent. */
function displaySignature(entry: AbiEntry): string {
  const inputs = (entry.inputs ?? []).map(displayParam).join(", ");
  const head = entry.type === "constructor" ? `constructor(${inputs})` : `${entry.type} ${entry.name ?? ""}(${inputs})`;
  const mutability = entry.stateMutability && entry.stateMutability !== "nonpayable" ? ` ${entry.stateMutability}` : "";
  const outputs = entry.outputs && entry.outputs.length > 0 ? ` returns (${entry.outputs.map(displayParam).join(", ")})` : "";
  return head + (entry.type === "function" ? mutability : "") + outputs;
}

/** The notice and dev text of one ABI member, from every place solc may have put it. */
function memberDocs(doc: ContractDoc, entry: AbiEntry): { notice?: string; dev: DevMember } {
  const sig = entry.type === "constructor" ? "constructor" : signatureOf(entry);
  const { userdoc, devdoc } = doc;
  if (entry.type === "event") return { notice: userdoc.events?.[sig]?.notice, dev: devdoc.events?.[sig] ?? {} };
  if (entry.type === "error") return { notice: userdoc.errors?.[sig]?.[0]?.notice, dev: devdoc.errors?.[sig]?.[0] ?? {} };
  const dev = devdoc.methods?.[sig] ?? devdoc.stateVariables?.[entry.name ?? ""] ?? {};
  const notice = entry.type === "constructor" ? undefined : userdoc.methods?.[sig]?.notice;
  return { notice, dev };
}

/** A bullet list of named values with their docs; unnamed values get `_0`, `_1`, ... like solc. */
function paramList(label: string, params: AbiParam[], docs: Record<string, string> | undefined, single?: string): string[] {
  if (params.length === 0) return [];
  const lines = [`${label}:`, ""];
  params.forEach((p, i) => {
    const key = p.name !== "" ? p.name : `_${i}`;
    const text = docs?.[key] ?? (params.length === 1 ? single : undefined);
    lines.push(`- \`${displayParam(p) || p.type}\`${text ? `: ${oneLine(text)}` : ""}`);
  });
  return [...lines, ""];
}

/** One function, event, error or constructor. */
function renderMember(doc: ContractDoc, entry: AbiEntry): string[] {
  const { notice, dev } = memberDocs(doc, entry);
  const lines = [`### ${entry.type === "constructor" ? "constructor" : entry.name}`, "", "```solidity", displaySignature(entry), "```", ""];
  if (notice) lines.push(oneLine(notice), "");
  if (dev.details) lines.push(`_Dev:_ ${oneLine(dev.details)}`, "");
  lines.push(...paramList("Parameters", entry.inputs ?? [], dev.params));
  lines.push(...paramList("Returns", entry.outputs ?? [], dev.returns, dev.return));
  return lines;
}

/** One section per ABI member type, members sorted by name. */
function renderSection(doc: ContractDoc, title: string, type: string): string[] {
  const entries = doc.abi.filter((e) => e.type === type).sort((a, b) => signatureOf(a).localeCompare(signatureOf(b)));
  if (entries.length === 0) return [];
  return [`## ${title}`, "", ...entries.flatMap((e) => renderMember(doc, e))];
}

/** The Markdown page of one contract. */
export function renderPage(doc: ContractDoc): string {
  const lines = [`# ${doc.name}`, "", `_${doc.kind}_ in \`${doc.source}\``, ""];
  if (doc.devdoc.title && doc.devdoc.title !== doc.name) lines.push(`**${oneLine(doc.devdoc.title)}**`, "");
  if (doc.userdoc.notice) lines.push(oneLine(doc.userdoc.notice), "");
  if (doc.devdoc.details) lines.push(`_Dev:_ ${oneLine(doc.devdoc.details)}`, "");
  lines.push(...renderSection(doc, "Constructor", "constructor"));
  lines.push(...renderSection(doc, "Functions", "function"));
  lines.push(...renderSection(doc, "Events", "event"));
  lines.push(...renderSection(doc, "Errors", "error"));
  return lines.join("\n").replace(/\n+$/, "\n");
}

/** The index page: one line per contract with its kind, source and notice. */
export function renderIndex(docs: ContractDoc[]): string {
  const lines = [
    "# Glassbox API",
    "",
    "Generated from the contracts' NatSpec by `npm run docs` (scripts/natspec-docs.ts); do not edit.",
    "",
    "| contract | kind | source | notice |",
    "| --- | --- | --- | --- |",
  ];
  for (const doc of docs) {
    const notice = doc.userdoc.notice ? oneLine(doc.userdoc.notice).replace(/\|/g, "\\|") : "";
    lines.push(`| [${doc.name}](${doc.name}.md) | ${doc.kind} | \`${doc.source}\` | ${notice} |`);
  }
  return lines.join("\n") + "\n";
}

/** Writes one page per contract and the index into `outDir`; returns the files written. */
export function writeDocs(outDir: string = DEFAULT_OUT, buildInfoDir: string = DEFAULT_BUILD_INFO): string[] {
  const docs = loadContracts(buildInfoDir);
  if (docs.length === 0) throw new Error(`no contracts under contracts/ in ${buildInfoDir}: compile first`);
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });
  const written = docs.map((doc) => {
    const file = path.join(outDir, `${doc.name}.md`);
    fs.writeFileSync(file, renderPage(doc));
    return file;
  });
  const index = path.join(outDir, "README.md");
  fs.writeFileSync(index, renderIndex(docs));
  return [...written, index];
}

if (require.main === module) {
  const written = writeDocs();
  console.log(`natspec-docs: wrote ${written.length} files to ${path.relative(process.cwd(), DEFAULT_OUT)}`);
}
