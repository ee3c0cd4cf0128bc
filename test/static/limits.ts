/**
 * packages/node/src/limits.ts states the size limits of inputs and outputs once; the on-chain ones are
 * copies of Solidity constants. This reads each constant from the contracts' source and fails when
 * a copy differs, and checks that the node's defaults and the CLI's help quote limits.ts.
 */
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import {
  DEFAULT_MODEL_MAX_INPUT_BYTES,
  DEFAULT_NODE_MAX_INPUT_BYTES,
  InputSource,
  MAX_INLINE_INPUT_BYTES,
  MAX_INLINE_OUTPUT_BYTES,
  MAX_INPUT_URI_BYTES,
  MAX_MODEL_INPUT_BYTES,
  MAX_MODEL_URI_BYTES,
  OPTIONS,
  runCli,
} from "../../packages/node/src";

const CONTRACTS = path.join(__dirname, "..", "..", "contracts");

/**
 * The value of `uint.. <visibility> constant NAME = <expr>;` in `file`: a number, or two numbers
 * joined by `*` or `<<` (the forms the contracts use). Anything else fails, naming the expression.
 */
function solidityConstant(file: string, name: string): number {
  const text = fs.readFileSync(path.join(CONTRACTS, file), "utf8");
  const match = new RegExp(`\\buint\\d*\\s+(?:public|internal|private)\\s+constant\\s+${name}\\s*=\\s*([^;]+);`).exec(text);
  if (!match) throw new Error(`${file} declares no constant ${name}`);
  const expr = match[1].trim();
  const num = (t: string) => {
    if (!/^\d[\d_]*$/.test(t)) throw new Error(`${file} ${name} = ${expr}: cannot read "${t}"; extend solidityConstant`);
    return Number(t.replace(/_/g, ""));
  };
  const binary = /^(\S+)\s*(\*|<<)\s*(\S+)$/.exec(expr);
  if (!binary) return num(expr);
  const [a, b] = [num(binary[1]), num(binary[3])];
  return binary[2] === "*" ? a * b : a * 2 ** b;
}

describe("limits.ts: the size limits of inputs and outputs, stated once", function () {
  describe("its on-chain limits equal the contracts' constants", function () {
    const cases: [string, number, string, string][] = [
      ["MAX_INLINE_INPUT_BYTES", MAX_INLINE_INPUT_BYTES, "libraries/JobParams.sol", "MAX_INLINE_BYTES"],
      ["MAX_INPUT_URI_BYTES", MAX_INPUT_URI_BYTES, "libraries/JobParams.sol", "MAX_URI_BYTES"],
      ["MAX_INLINE_OUTPUT_BYTES", MAX_INLINE_OUTPUT_BYTES, "JobRegistry.sol", "MAX_INLINE_OUTPUT"],
      ["MAX_MODEL_INPUT_BYTES", MAX_MODEL_INPUT_BYTES, "ModelRegistry.sol", "MAX_INPUT_BYTES"],
      ["MAX_MODEL_URI_BYTES", MAX_MODEL_URI_BYTES, "ModelRegistry.sol", "MAX_URI_LENGTH"],
    ];
    for (const [ts, value, file, sol] of cases) {
      it(`${ts} is ${file} ${sol}`, function () {
        expect(value).to.equal(solidityConstant(file, sol));
      });
    }

    it("reads the forms the contracts use, and refuses one it cannot read", function () {
      expect(solidityConstant("libraries/JobParams.sol", "MAX_INLINE_BYTES")).to.equal(65536);
      expect(solidityConstant("ModelRegistry.sol", "MAX_INPUT_BYTES")).to.equal(1073741824);
      expect(() => solidityConstant("libraries/JobParams.sol", "NO_SUCH_CONSTANT")).to.throw("declares no constant NO_SUCH_CONSTANT");
    });
  });

  describe("the node and the CLI take their limits from it", function () {
    it("the node's input fetch cap defaults to DEFAULT_NODE_MAX_INPUT_BYTES, and its inline output cutoff to the contract's inline output limit", function () {
      expect(new InputSource().maxBytes).to.equal(DEFAULT_NODE_MAX_INPUT_BYTES);
      expect(OPTIONS.maxInputBytes.default).to.equal(DEFAULT_NODE_MAX_INPUT_BYTES);
      expect(OPTIONS.inlineOutputBytes.default).to.equal(MAX_INLINE_OUTPUT_BYTES);
      expect(DEFAULT_MODEL_MAX_INPUT_BYTES).to.equal(MAX_INLINE_INPUT_BYTES);
    });

    it("glassbox job request --help and model register --help quote them", async function () {
      const help = async (argv: string[]) => {
        let out = "";
        await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (out += t), env: {} });
        return out.replace(/\s+/g, " ");
      };
      const request = await help(["job", "request", "--help"]);
      for (const quoted of [
        `up to ${MAX_INLINE_INPUT_BYTES} bytes (JobParams.MAX_INLINE_BYTES)`,
        `a URI of at most ${MAX_INPUT_URI_BYTES} bytes (JobParams.MAX_URI_BYTES)`,
        `at most ${MAX_MODEL_INPUT_BYTES}, ModelRegistry.MAX_INPUT_BYTES`,
        `--max-input-bytes (default ${DEFAULT_NODE_MAX_INPUT_BYTES})`,
        "--content-store <url>",
        "--input-uri <uri>",
      ]) {
        expect(request).to.include(quoted);
      }
      const register = await help(["model", "register", "--help"]);
      expect(register).to.include(`(1 to ${MAX_MODEL_INPUT_BYTES}, ModelRegistry.MAX_INPUT_BYTES; inputs above ${MAX_INLINE_INPUT_BYTES} can only be sent by reference)`);
      expect(register).to.include(`(default: "${DEFAULT_MODEL_MAX_INPUT_BYTES}")`);
    });
  });
});
