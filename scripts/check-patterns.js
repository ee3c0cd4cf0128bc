// Fails (exit 1) on risky Solidity patterns in contracts/ (contracts/test/ excepted), one line per
// finding as `file:line: rule: text`. Part of `npm run lint`, after check-natspec.js. Rules:
//   tx-origin           any use of tx.origin (never an authorisation)
//   unchecked-call      .call / .delegatecall / .staticcall / .send whose success is not captured and
//                       then checked (if / require / assert / while / return / ?: / && / ||), or an
//                       inline-assembly call whose result is popped or assigned and never used
//   timestamp-equality  block.timestamp compared with == or != (casts included)
//   storage-loop        a for/while loop whose condition reads the .length of a dynamic storage array
//                       (a state variable, an element of one, a storage pointer to one, or a local
//                       that cached such a length) inside a function that is neither view nor pure
// Comments and string literals are blanked before matching. A justified exception is written on
// the line before the finding: `// check-patterns: allow <rule> <reason>` (the reason is required).
// Plain Node, no dependencies: `checkSource(text, file)` is exported for test/static/check-patterns.ts.
const fs = require("node:fs");
const path = require("node:path");

const RULES = ["tx-origin", "unchecked-call", "timestamp-equality", "storage-loop"];
const ALLOW = /\/\/\s*check-patterns:\s*allow\b\s*([\w-]*)\s*(.*)$/;

// ------------------------------------------------------------------ lexing

/** The source with every comment and the contents of every string literal replaced by spaces; newlines and offsets are kept. */
function blankCommentsAndStrings(text) {
  const out = text.split("");
  const blank = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === "/" && next === "/") {
      let j = i;
      while (j < text.length && text[j] !== "\n") j++;
      blank(i, j);
      i = j;
    } else if (c === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const j = end === -1 ? text.length : end + 2;
      blank(i, j);
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      blank(i + 1, Math.min(j, text.length)); // keep the quotes, blank the contents
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join("");
}

/** Index of the bracket that closes the one at `open` (any of ( [ {), or -1. */
function matchForward(code, open) {
  const pairs = { "(": ")", "[": "]", "{": "}" };
  const opener = code[open];
  const closer = pairs[opener];
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === opener) depth++;
    else if (code[i] === closer && --depth === 0) return i;
  }
  return -1;
}

/** Index of the bracket that opens the one at `close` (any of ) ] }), or -1. */
function matchBackward(code, close) {
  const pairs = { ")": "(", "]": "[", "}": "{" };
  const closer = code[close];
  const opener = pairs[closer];
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (code[i] === closer) depth++;
    else if (code[i] === opener && --depth === 0) return i;
  }
  return -1;
}

/** `text` with every bracketed group (of `open`) replaced by spaces, the brackets themselves kept. */
function flattenGroups(text, open) {
  const out = text.split("");
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== open) continue;
    const end = matchForward(text, i);
    if (end === -1) break;
    for (let k = i + 1; k < end; k++) if (out[k] !== "\n") out[k] = " ";
    i = end;
  }
  return out.join("");
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// ------------------------------------------------------------------ structure

/** Every function-like body (function, constructor, modifier, receive, fallback) with its header. */
function functionsOf(code) {
  const out = [];
  const re = /\b(function|constructor|modifier|receive|fallback)\b/g;
  let m;
  while ((m = re.exec(code))) {
    const paren = code.indexOf("(", m.index);
    if (paren === -1) continue;
    // A function *type* (`function (uint256) external`) has no name and no body: skip it.
    if (m[1] === "function" && !/^function\s+\w+\s*\($/.test(code.slice(m.index, paren + 1))) continue;
    let depth = 0;
    let i = m.index;
    for (; i < code.length; i++) {
      const c = code[i];
      if (c === "(") depth++;
      else if (c === ")") depth--;
      else if (depth === 0 && (c === "{" || c === ";")) break;
    }
    if (code[i] !== "{") continue; // declared without a body
    const end = matchForward(code, i);
    if (end === -1) continue;
    const header = code.slice(m.index, i);
    const topLevel = flattenGroups(header, "(");
    const name = m[1] === "function" ? /function\s+(\w+)/.exec(header)[1] : m[1];
    out.push({
      name,
      header,
      start: m.index,
      bodyStart: i,
      bodyEnd: end,
      readOnly: /\b(view|pure)\b/.test(topLevel),
    });
  }
  return out;
}

/** The innermost function whose body contains `index`. */
function enclosingFunction(functions, index) {
  let best;
  for (const f of functions) {
    if (index > f.bodyStart && index < f.bodyEnd && (!best || f.bodyStart > best.bodyStart)) best = f;
  }
  return best;
}

/** Splits `<type> [keywords] <name> [= value]` into its type and name; undefined when it is no declaration. */
function parseDeclaration(text) {
  const s = text.trim();
  let type;
  let rest;
  const mapping = /^mapping\s*\(/.exec(s);
  if (mapping) {
    const end = matchForward(s, mapping[0].length - 1);
    if (end === -1) return undefined;
    type = s.slice(0, end + 1);
    rest = s.slice(end + 1);
  } else {
    const simple = /^[A-Za-z_][\w.]*(\s+payable)?/.exec(s);
    if (!simple) return undefined;
    type = simple[0];
    rest = s.slice(type.length);
  }
  const dims = /^(\s*\[[^\]]*\])*/.exec(rest)[0];
  type = (type + dims).replace(/\s+/g, " ").replace(/\s*\[\s*/g, "[").replace(/\s*\]/g, "]");
  rest = rest.slice(dims.length);
  const words = rest.split("=")[0].trim().split(/\s+/).filter(Boolean);
  const name = words[words.length - 1];
  if (!name || !/^[A-Za-z_]\w*$/.test(name)) return undefined;
  return { type, name };
}

/** The declarations of a struct body or a contract body (nested blocks blanked), split on `;`. */
function declarationsIn(body) {
  const skip = /^\s*(using|event|error|function|modifier|struct|enum|type|constructor|receive|fallback)\b/;
  return flattenGroups(body, "{")
    .split(/[;}]/)
    .filter((piece) => piece.trim() !== "" && !skip.test(piece) && !/[{(]\s*$/.test(piece.trim()))
    .map(parseDeclaration)
    .filter(Boolean);
}

/** Contracts (with their state variables and bases) and structs (with their fields) declared in `code`. */
function declarationsOf(code) {
  const contracts = [];
  const structs = new Map();
  const re = /\b(contract|library|interface)\s+(\w+)([^{;]*)\{/g;
  let m;
  while ((m = re.exec(code))) {
    const open = m.index + m[0].length - 1;
    const end = matchForward(code, open);
    if (end === -1) continue;
    const bases = /\bis\b([\s\S]*)$/.exec(m[3]);
    contracts.push({
      name: m[2],
      start: open,
      end,
      bases: bases ? flattenGroups(bases[1], "(").split(",").map((b) => b.replace(/\(\s*\)/g, "").trim()) : [],
      state: new Map(declarationsIn(code.slice(open + 1, end)).map((d) => [d.name, d.type])),
    });
  }
  const structRe = /\bstruct\s+(\w+)\s*\{/g;
  while ((m = structRe.exec(code))) {
    const open = m.index + m[0].length - 1;
    const end = matchForward(code, open);
    if (end === -1) continue;
    structs.set(m[1], new Map(declarationsIn(code.slice(open + 1, end)).map((d) => [d.name, d.type])));
  }
  return { contracts, structs };
}

// ------------------------------------------------------------------ types

/** The value type of a `mapping(K [name] => V [name])`. */
function mappingValue(type) {
  const inner = type.slice(type.indexOf("(") + 1, type.lastIndexOf(")"));
  let depth = 0;
  for (let i = 0; i < inner.length - 1; i++) {
    if (inner[i] === "(") depth++;
    else if (inner[i] === ")") depth--;
    else if (depth === 0 && inner[i] === "=" && inner[i + 1] === ">") {
      const value = inner.slice(i + 2).trim();
      if (/^mapping\s*\(/.test(value)) return value.slice(0, matchForward(value, value.indexOf("(")) + 1);
      // The value's type, without the optional name (`=> address[] members`).
      const typed = /^[A-Za-z_][\w.]*(\s+payable)?(\s*\[[^\]]*\])*/.exec(value);
      return typed ? typed[0].replace(/\s+/g, "") : undefined;
    }
  }
  return undefined;
}

/** The type reached from `type` by one accessor (`[...]` or `.field`), or undefined when unknown. */
function step(type, accessor, structs) {
  if (!type) return undefined;
  if (accessor === "[]") {
    if (/^mapping\s*\(/.test(type) && /\)$/.test(type)) return mappingValue(type);
    const arr = /^(.*)\[[^\]]*\]$/.exec(type);
    return arr ? arr[1] : undefined;
  }
  const base = type.split(".").pop();
  const fields = structs.get(base);
  return fields ? fields.get(accessor) : undefined;
}

const isDynamicArray = (type) => typeof type === "string" && /\[\]$/.test(type);

/** Walks back from `end` (exclusive) over `a.b[c][d].e` and returns its start, or -1. */
function accessChainStart(code, end) {
  let i = end - 1;
  while (i >= 0 && /\s/.test(code[i])) i--;
  for (;;) {
    if (code[i] === "]") {
      const open = matchBackward(code, i);
      if (open === -1) return -1;
      i = open - 1;
      while (i >= 0 && /\s/.test(code[i])) i--;
      continue;
    }
    if (!/\w/.test(code[i] || "")) return -1;
    while (i >= 0 && /\w/.test(code[i])) i--;
    const start = i + 1;
    let j = i;
    while (j >= 0 && /\s/.test(code[j])) j--;
    if (code[j] === ".") {
      i = j - 1;
      while (i >= 0 && /\s/.test(code[i])) i--;
      continue;
    }
    return start;
  }
}

/** `a.b[c].d` as root `a` and accessors ["b", "[]", "d"]. */
function parseChain(text) {
  const root = /^\s*(\w+)/.exec(text);
  if (!root) return undefined;
  const accessors = [];
  let i = root[0].length;
  while (i < text.length) {
    if (/\s/.test(text[i])) i++;
    else if (text[i] === "[") {
      const end = matchForward(text, i);
      if (end === -1) return undefined;
      accessors.push("[]");
      i = end + 1;
    } else if (text[i] === ".") {
      const field = /^\.\s*(\w+)/.exec(text.slice(i));
      if (!field) return undefined;
      accessors.push(field[1]);
      i += field[0].length;
    } else return undefined;
  }
  return { root: root[1], accessors };
}

/** The state variables visible in `contract`: its own and its bases' (by name, across all files). */
function stateOf(contract, allContracts, seen = new Set()) {
  const vars = new Map();
  if (!contract || seen.has(contract.name)) return vars;
  seen.add(contract.name);
  for (const baseName of contract.bases) {
    const base = allContracts.find((c) => c.name === baseName);
    for (const [k, v] of stateOf(base, allContracts, seen)) vars.set(k, v);
  }
  for (const [k, v] of contract.state) vars.set(k, v);
  return vars;
}

/**
 * Whether `root` names storage inside function `fn`, and its type: a local or parameter declared
 * `storage` (a storage pointer), or a state variable not shadowed by a local or parameter.
 */
function storageRoot(code, fn, root, state) {
  const scope = code.slice(fn.start, fn.bodyEnd);
  const name = escapeRegExp(root);
  const typePart = "((?:mapping\\s*\\([^;{]*?\\)|[A-Za-z_][\\w.]*)(?:\\s*\\[[^\\]]*\\])*)";
  const pointer = new RegExp(`${typePart}\\s+storage\\s+${name}\\b`).exec(scope);
  if (pointer) return pointer[1].replace(/\s+/g, "");
  const local = new RegExp(`${typePart}\\s+(?:memory\\s+|calldata\\s+)?${name}\\s*[,;=)]`).exec(scope);
  if (local && !/^(return|emit|delete|new)$/.test(local[1])) return undefined; // shadowed
  return state.get(root);
}

// ------------------------------------------------------------------ rules

function ruleTxOrigin(code, report) {
  const re = /\btx\s*\.\s*origin\b/g;
  let m;
  while ((m = re.exec(code))) report(m.index, "tx-origin", "tx.origin is used (never use it for authorisation)");
}

function ruleTimestampEquality(code, report) {
  const re = /\bblock\s*\.\s*timestamp\b/g;
  let m;
  while ((m = re.exec(code))) {
    const after = code.slice(m.index + m[0].length).replace(/^[\s)]*/, "");
    let before = code.slice(Math.max(0, m.index - 200), m.index);
    // Peel casts, calls and parentheses that wrap it: `uint64(block.timestamp)`, `(block.timestamp)`.
    for (;;) {
      const trimmed = before.replace(/\s+$/, "").replace(/(\b\w+\s*)?\($/, "");
      if (trimmed === before) break;
      before = trimmed;
    }
    if (/^(==|!=)/.test(after) || /(==|!=)\s*$/.test(before)) {
      report(m.index, "timestamp-equality", "block.timestamp compared with == or != (a block may never have that exact time)");
    }
  }
}

/** Statement around `index`: from after the previous `;`, `{` or `}` to the next `;` or `{` at bracket depth 0 after `from`. */
function statementAround(code, index, from) {
  let start = index;
  while (start > 0 && !";{}".includes(code[start - 1])) start--;
  let depth = 0;
  let end = from;
  for (; end < code.length; end++) {
    const c = code[end];
    if (c === "(" || c === "[") depth++;
    else if (c === ")" || c === "]") depth--;
    else if (depth <= 0 && (c === ";" || c === "{")) break;
  }
  return { start, end, text: code.slice(start, end) };
}

/** Whether `name` is used after `from` in `fn` as a condition (if/while/require/assert), returned, or in ?:, &&, ||, !. */
function checkedLater(code, fn, name, from) {
  const re = new RegExp(`\\b${escapeRegExp(name)}\\b`, "g");
  re.lastIndex = from;
  let m;
  while ((m = re.exec(code)) && m.index < fn.bodyEnd) {
    const stmt = statementAround(code, m.index, m.index);
    if (/^\s*(else\s+)?(if|while|require|assert|return)\b/.test(stmt.text)) return true;
    const after = code.slice(m.index + name.length);
    const before = code.slice(0, m.index);
    if (/^\s*(\?|&&|\|\|)/.test(after) || /(&&|\|\||!|\?)\s*$/.test(before)) return true;
  }
  return false;
}

function ruleUncheckedCall(code, functions, report) {
  // High-level low-level calls: `x.call(...)`, `x.call{value: v}(...)`, `x.send(...)`, ...
  const re = /\.\s*(call|delegatecall|staticcall|send)\s*(?=[({])/g;
  let m;
  while ((m = re.exec(code))) {
    const kind = m[1];
    let open = m.index + m[0].length;
    if (code[open] === "{") open = matchForward(code, open) + 1;
    while (/\s/.test(code[open] || "")) open++;
    if (code[open] !== "(") continue;
    const close = matchForward(code, open);
    if (close === -1) continue;
    const stmt = statementAround(code, m.index, close + 1);
    const text = stmt.text;
    const fn = enclosingFunction(functions, m.index);
    const condition = /^\s*(else\s+)?(if|while|require|assert)\s*\(/.exec(text);
    if (condition) {
      const condOpen = stmt.start + condition[0].length - 1;
      if (m.index < matchForward(code, condOpen)) continue; // the call is the condition itself
    }
    if (/^\s*return\b/.test(text)) continue; // the caller receives the success flag
    const captured =
      /^\s*\(\s*bool\s+(\w+)/.exec(text) || /^\s*\(\s*(\w+)\s*,/.exec(text) || /^\s*bool\s+(\w+)\s*=/.exec(text) || /^\s*(\w+)\s*=[^=]/.exec(text);
    if (!captured) {
      report(m.index, "unchecked-call", `the success of .${kind}() is not captured`);
      continue;
    }
    if (!fn || !checkedLater(code, fn, captured[1], stmt.end)) {
      report(m.index, "unchecked-call", `the success of .${kind}() (${captured[1]}) is never checked`);
    }
  }
  // Inline assembly: `call(...)` and its kin, whose result Yul forces to be used, popped or assigned.
  const asm = /\bassembly\b[^{;]*\{/g;
  while ((m = asm.exec(code))) {
    const open = m.index + m[0].length - 1;
    const end = matchForward(code, open);
    if (end === -1) continue;
    const body = code.slice(open, end);
    const callRe = /(^|[^.\w])(call|callcode|delegatecall|staticcall)\s*\(/g;
    let c;
    while ((c = callRe.exec(body))) {
      const at = open + c.index + c[1].length;
      const before = code.slice(open, at);
      if (/\bpop\s*\(\s*$/.test(before)) {
        report(at, "unchecked-call", `the result of assembly ${c[2]}() is popped`);
        continue;
      }
      const assigned = /(\w+)\s*:=\s*$/.exec(before);
      if (!assigned) continue; // used inside an expression: if, iszero, switch, and, ...
      const fn = enclosingFunction(functions, at);
      const closeAt = matchForward(code, code.indexOf("(", at));
      const rest = code.slice(closeAt + 1, fn ? fn.bodyEnd : end);
      if (!new RegExp(`\\b${escapeRegExp(assigned[1])}\\b`).test(rest)) {
        report(at, "unchecked-call", `the result of assembly ${c[2]}() (${assigned[1]}) is never used`);
      }
    }
  }
}

function ruleStorageLoop(code, functions, contracts, allContracts, structs, report) {
  const re = /\b(for|while)\s*\(/g;
  let m;
  while ((m = re.exec(code))) {
    const open = m.index + m[0].length - 1;
    const close = matchForward(code, open);
    if (close === -1) continue;
    const fn = enclosingFunction(functions, m.index);
    if (!fn || fn.readOnly) continue;
    let condStart = open + 1;
    let condEnd = close;
    if (m[1] === "for") {
      const parts = flattenGroups(code.slice(open + 1, close), "(").split(";");
      if (parts.length !== 3) continue;
      condStart = open + 1 + parts[0].length + 1;
      condEnd = condStart + parts[1].length;
    }
    const contract = contracts.find((c) => m.index > c.start && m.index < c.end);
    const state = stateOf(contract, allContracts);
    const storageArray = (chainText) => {
      const chain = parseChain(chainText);
      if (!chain) return false;
      let type = storageRoot(code, fn, chain.root, state);
      for (const a of chain.accessors) type = step(type, a, structs);
      return isDynamicArray(type);
    };
    const cond = code.slice(condStart, condEnd);
    let found;
    // `<storage array>.length` in the condition itself.
    const lengthRe = /\.\s*length\b/g;
    let l;
    while (!found && (l = lengthRe.exec(cond))) {
      const at = condStart + l.index;
      const start = accessChainStart(code, at);
      if (start !== -1 && start >= condStart && storageArray(code.slice(start, at))) found = `${code.slice(start, at).trim()}.length`;
    }
    // A local that cached such a length: `uint256 n = members.length; ... i < n`.
    const cached = new RegExp(`\\b(?:uint\\d*|int\\d*)\\s+(\\w+)\\s*=\\s*([\\w.\\[\\]\\s]+?)\\s*\\.\\s*length\\s*;`, "g");
    const scope = code.slice(fn.bodyStart, m.index);
    let cm;
    while (!found && (cm = cached.exec(scope))) {
      if (new RegExp(`\\b${escapeRegExp(cm[1])}\\b`).test(cond) && storageArray(cm[2])) found = `${cm[2].trim()}.length (cached in ${cm[1]})`;
    }
    if (found) {
      report(m.index, "storage-loop", `${m[1]} loop bounded by ${found} in ${fn.name}, which changes state`);
    }
  }
}

// ------------------------------------------------------------------ driver

/**
 * Checks one Solidity source. `others` are further sources (already parsed declarations) whose
 * contracts and structs resolve inherited state variables and struct fields.
 * @returns {{file: string, line: number, rule: string, text: string}[]}
 */
function checkSource(text, file = "<source>", others = []) {
  const code = blankCommentsAndStrings(text);
  const rawLines = text.split("\n");
  const lineStarts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") lineStarts.push(i + 1);
  const lineOf = (index) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= index) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const findings = [];
  const allowed = new Map(); // line (1-based) -> rules allowed on it
  rawLines.forEach((raw, i) => {
    const a = ALLOW.exec(raw);
    if (!a) return;
    if (!RULES.includes(a[1]) || a[2].trim() === "") {
      findings.push({ file, line: i + 1, rule: "allow", text: "`// check-patterns: allow <rule> <reason>` needs a known rule and a reason" });
      return;
    }
    if (!allowed.has(i + 2)) allowed.set(i + 2, new Set());
    allowed.get(i + 2).add(a[1]);
  });
  const seen = new Set();
  const report = (index, rule, message) => {
    const line = lineOf(index);
    const key = `${line}:${rule}`;
    if (seen.has(key) || allowed.get(line)?.has(rule)) return;
    seen.add(key);
    findings.push({ file, line, rule, text: `${message}: ${rawLines[line - 1].trim()}` });
  };
  const functions = functionsOf(code);
  const { contracts, structs } = declarationsOf(code);
  const allContracts = [...contracts, ...others.flatMap((o) => o.contracts)];
  const allStructs = new Map([...others.flatMap((o) => [...o.structs]), ...structs]);
  ruleTxOrigin(code, report);
  ruleUncheckedCall(code, functions, report);
  ruleTimestampEquality(code, report);
  ruleStorageLoop(code, functions, contracts, allContracts, allStructs, report);
  return findings.sort((a, b) => a.line - b.line);
}

function solidityFiles(dir, skip) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return path.resolve(p) === path.resolve(skip) ? [] : solidityFiles(p, skip);
    return e.name.endsWith(".sol") ? [p] : [];
  });
}

/** Checks every contracts/**\/*.sol under `root` except contracts/test/. */
function checkTree(root = path.join(__dirname, "..")) {
  const contractsDir = path.join(root, "contracts");
  const files = solidityFiles(contractsDir, path.join(contractsDir, "test"));
  const sources = files.map((f) => ({ file: path.relative(root, f), text: fs.readFileSync(f, "utf8") }));
  const parsed = sources.map((s) => declarationsOf(blankCommentsAndStrings(s.text)));
  const findings = sources.flatMap((s, i) => checkSource(s.text, s.file, parsed.filter((_, j) => j !== i)));
  return { files: files.length, findings };
}

const format = (f) => `${f.file}:${f.line}: ${f.rule}: ${f.text}`;

if (require.main === module) {
  const { files, findings } = checkTree();
  if (findings.length > 0) {
    for (const f of findings) console.error(format(f));
    console.error(`check-patterns: ${findings.length} finding(s) in ${files} file(s)`);
    process.exit(1);
  }
  console.log(`check-patterns: no finding in ${files} file(s) (${RULES.join(", ")})`);
}

module.exports = { checkSource, checkTree, format, RULES, blankCommentsAndStrings };
