/**
 * `glassbox referee inspect|zoo` (src/cliReferee.ts): what a node checks, offline, before it opts
 * in to a refereeable model. No chain: the commands read and write files only.
 */
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../src/cli";
import { lowerProgram } from "../src/referee/steps";
import { programHash } from "../src/referee/program";
import { refereeMlp, zooProgram } from "../src/referee/zoo";
import { MLP_BYTES } from "./fixtures/roles";

interface Run {
  code: number;
  out: string;
  err: string;
}

async function glassbox(argv: string[]): Promise<Run> {
  let out = "";
  let err = "";
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  return { code, out, err };
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-referee-"));

describe("glassbox referee zoo, then inspect: the hashes a registration must commit to", function () {
  it("writes the zoo's MLP and prints the program and steps hashes the node's own compiler reproduces", async function () {
    const file = path.join(tmp(), "mlp.onnx");
    const zoo = await glassbox(["referee", "zoo", "mlp", "--out", file]);
    expect(zoo.code, zoo.err).to.equal(0);
    expect(JSON.parse(zoo.out)).to.deep.include({ name: "referee-mlp", file, params: 1_861_632 });
    expect(Buffer.compare(fs.readFileSync(file), Buffer.from(refereeMlp().onnx))).to.equal(0);

    const run = await glassbox(["referee", "inspect", file]);
    expect(run.code, run.err).to.equal(0);
    const report = JSON.parse(run.out);
    const program = zooProgram(refereeMlp());
    expect(report.programHash).to.equal(programHash(program));
    expect(report.stepsHash).to.equal(lowerProgram(program).stepsHash);
    expect(report.params).to.equal(1_861_632);
    expect(report.input).to.deep.equal({ name: "x", dtype: "uint8", shape: [1, 784] });
    expect(report.steps.map((s: { op: string; fusedRelu: boolean }) => [s.op, s.fusedRelu])).to.deep.equal([
      ["QLinearMatMul", true],
      ["QLinearMatMul", true],
      ["QLinearMatMul", false],
    ]);
  });
});

describe("glassbox referee: refusals name the problem", function () {
  it("a model that cannot be refereed, a file that is not ONNX, a missing file, an unknown zoo model, a zoo without --out", async function () {
    const dir = tmp();
    const floatModel = path.join(dir, "float.onnx"); // the devnet's float32 MLP: no integer operators
    fs.writeFileSync(floatModel, MLP_BYTES);
    const notOnnx = path.join(dir, "junk.onnx");
    fs.writeFileSync(notOnnx, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    const cases: [string[], RegExp][] = [
      [["referee", "inspect", floatModel], /float\.onnx cannot be refereed: .*explicit integer operators/],
      [["referee", "inspect", notOnnx], /junk\.onnx is not an ONNX model/],
      [["referee", "inspect", path.join(dir, "missing.onnx")], /cannot read .*missing\.onnx: ENOENT/],
      [["referee", "zoo", "resnet", "--out", path.join(dir, "x.onnx")], /unknown zoo model "resnet": choose mlp or cnn/],
      [["referee", "zoo", "cnn"], /--out <file> is required/],
    ];
    for (const [argv, pattern] of cases) {
      const run = await glassbox(argv);
      expect(run.code, `${argv.join(" ")}: ${run.err}`).to.equal(1);
      expect(run.out).to.equal("");
      expect(run.err.trim().split("\n")).to.have.length(1);
      expect(run.err).to.match(pattern);
    }
  });
});
