// Fails (exit 1) when an external or public function, event or error in contracts/ has no NatSpec
// comment (`///` or `/** */`, `@inheritdoc` included) right above it. Part of `npm run lint`.
const fs = require("node:fs");
const path = require("node:path");

function solidityFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? solidityFiles(p) : e.name.endsWith(".sol") ? [p] : [];
  });
}

const missing = [];
for (const file of solidityFiles(path.join(__dirname, "..", "contracts"))) {
  const lines = fs.readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const isFunction = /^function\s/.test(line);
    const isDeclaration = /^(event|error)\s/.test(line);
    if (!isFunction && !isDeclaration) continue;
    if (isFunction) {
      // Read the whole signature (it may span lines) to find its visibility.
      let signature = "";
      for (let j = i; j < lines.length && !/[{;]\s*$/.test(signature); j++) signature += " " + lines[j].trim();
      if (!/\b(external|public)\b/.test(signature)) continue;
    }
    let k = i - 1;
    while (k >= 0 && /^\s*\/\/\s*solhint-disable/.test(lines[k])) k--;
    const above = k >= 0 ? lines[k].trim() : "";
    if (!(above.startsWith("///") || above.endsWith("*/"))) missing.push(`${path.relative(process.cwd(), file)}:${i + 1}: ${line}`);
  }
}
if (missing.length > 0) {
  console.error(`NatSpec missing on ${missing.length} declaration(s):\n${missing.join("\n")}`);
  process.exit(1);
}
console.log("NatSpec: every external/public function, event and error is documented");
