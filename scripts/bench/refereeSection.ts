/**
 * Section 6, refereed disputes (issue 15, "Costs published, and bounded"): for each refereeable
 * model of the zoo (an MLP and a CNN of more than 1,000,000 parameters, built in
 * packages/node/src/referee/zoo.ts), its size, its steps, the gas of the one-step at the dearest
 * element of every step (RefereeOneStep.check sent as a transaction on Hardhat's in-process
 * network, witnesses from a real committed trace), and `traceOverhead` (referee.ts: onnxruntime's
 * run with every step's tensor as an output plus the trace commitment, over its plain run).
 * Writes reports/referee.json.
 *
 * The game's figures: one whole dispute per step on RefereeGame, with a fault placed at the
 * step's dearest element (the defender's trace falsified there; the challenger plays
 * from its own honest trace with test/fixtures/refereeGameDriver.ts): the moves and the gas of each
 * side, every transaction mined.
 */
import fs from "node:fs";
import path from "node:path";
import { ethers } from "hardhat";
import { GlassboxToken__factory, RefereeGame__factory, RefereeOneStep__factory } from "../../packages/node/src/typechain";
import { Challenger, Defender, GasBook, playPath } from "../../test/fixtures/refereeGameDriver";
import { falsifyElement } from "../../test/fixtures/refereePrograms";
import { log, REPORTS, round } from "./common";
import { measureTraceOverhead, type OrtTrace } from "./referee";
import { runProgram, type ProgramTensor, commitTrace, lowerProgram, STEP_KIND, type RefereeProgram, type CommittedTrace, oneStepWitness, refereeCnn, refereeMlp, zooInput, type ZooModel, zooProgram } from "../../packages/node/src";

/** The bounds, checked by the report (not by a timed test). */
export const REFEREE_TARGETS = { gasOneStep: 400_000, gasPerSide: 1_000_000, movesPerSide: 8, traceOverhead: 1.3 } as const;

export interface RefereeStepGas {
  readonly step: number;
  readonly op: string;
  readonly element: number;
  readonly gas: number;
}

export interface RefereeRow {
  readonly name: string;
  readonly params: number;
  /** Steps of the refereed program (Reshape folded away). */
  readonly ops: number;
  /** Transactions of the side that moves most, over the disputes played (one per step); null when not measured. */
  readonly moves: number | null;
  readonly movesDefender: number | null;
  readonly movesChallenger: number | null;
  /** Where the fault of the dearest dispute (for either side) was placed. */
  readonly faultAt: { readonly step: number; readonly element: number } | null;
  readonly gasChallenger: number | null;
  readonly gasDefender: number | null;
  /** The dearest step's one-step, as a transaction (calldata included). */
  readonly gasOneStep: number;
  readonly traceOverhead: number;
  readonly plainMs: number;
  readonly traceMs: number;
  readonly interpreterMs: number;
  readonly steps: readonly RefereeStepGas[];
  /** One whole dispute per step, the fault at that step's dearest element. */
  readonly disputes?: readonly { readonly faultAt: { readonly step: number; readonly element: number }; readonly defender: number; readonly challenger: number; readonly movesDefender: number; readonly movesChallenger: number }[];
}

export interface RefereeSection {
  readonly models: readonly RefereeRow[];
  readonly targets: typeof REFEREE_TARGETS;
  readonly note: string;
}

/** The element of a step whose one-step reads the most: a window fully inside the input, else element 0. */
function dearestElement(rp: RefereeProgram, step: number): number {
  const s = rp.steps[step];
  const p = s.ints.map(Number);
  if (s.kind === STEP_KIND.Conv || s.kind === STEP_KIND.MaxPool) {
    // Conv: [.., N, C, H, W, M, .., OH, OW] ; MaxPool: [.., N, C, H, W, .., OH, OW]: the centre pixel, channel 0.
    const [oh, ow] = s.kind === STEP_KIND.Conv ? [p[19], p[20]] : [p[14], p[15]];
    const perPixel = s.kind === STEP_KIND.Conv ? p[8] : p[3];
    return (Math.floor(oh / 2) * ow + Math.floor(ow / 2)) * perPixel;
  }
  return 0;
}

function interpreterTrace(model: ZooModel, rp: RefereeProgram): Map<string, ProgramTensor> {
  return runProgram(rp.program, { [model.inputName]: zooInput(model, 1) }, { trace: true }).trace as Map<string, ProgramTensor>;
}

async function oneStepGas(rp: RefereeProgram, trace: CommittedTrace): Promise<RefereeStepGas[]> {
  const [deployer] = await ethers.getSigners();
  const oneStep = await new RefereeOneStep__factory(deployer).deploy();
  const rows: RefereeStepGas[] = [];
  for (let step = 0; step < rp.steps.length; step++) {
    const element = dearestElement(rp, step);
    const w = oneStepWitness(rp, trace, step, element);
    const ranges = w.ranges.map((r) => ({ leaves: r.leaves, siblings: [...r.siblings] }));
    const [expected, claimed] = await oneStep.check(rp.stepsHash, [...w.descHashes], step, w.descriptor, trace.root, [...w.tensorRoots], element, ranges);
    if (expected !== claimed) throw new Error(`step ${step}: the honest trace's element ${element} does not recompute (${expected} vs ${claimed})`);
    const gas = await oneStep.check.estimateGas(rp.stepsHash, [...w.descHashes], step, w.descriptor, trace.root, [...w.tensorRoots], element, ranges);
    rows.push({ step, op: rp.steps[step].op.op, element, gas: Number(gas) });
  }
  return rows;
}

const HOUR = 3600;

/** One whole dispute on RefereeGame with the defender's trace falsified at `fault`; the gas book of its moves. */
async function playDispute(rp: RefereeProgram, values: Map<string, ProgramTensor>, fault: { step: number; element: number }): Promise<GasBook> {
  const [deployer, hub, defenderSigner, challengerSigner] = await ethers.getSigners();
  const token = await new GlassboxToken__factory(deployer).deploy(deployer.address);
  const oneStep = await new RefereeOneStep__factory(deployer).deploy();
  // 1e14 token units a gas: the bond is RefereeGame.DEFENDER_GAS_PER_PATH at that price.
  const game = await new RefereeGame__factory(deployer).deploy(oneStep, token, hub.address, 24 * HOUR, 3 * HOUR, 10n ** 14n);
  const bond = await game.CHALLENGER_BOND();
  await token.mint(challengerSigner.address, bond);
  await token.connect(challengerSigner).approve(game, bond);
  const honest = commitTrace(rp, values);
  const defenderTrace = commitTrace(rp, falsifyElement(rp, values, fault));
  const n = rp.steps.length;
  const gas = new GasBook();
  const gameId = await game.connect(hub).create.staticCall(rp.stepsHash, n, defenderTrace.tensors[0].tree.root, defenderTrace.tensors[n].tree.root, defenderSigner.address);
  await gas.record("create", game.connect(hub).create(rp.stepsHash, n, defenderTrace.tensors[0].tree.root, defenderTrace.tensors[n].tree.root, defenderSigner.address));
  const defender = new Defender(game, defenderSigner, gameId, defenderTrace, gas);
  const challenger = new Challenger(game, challengerSigner, gameId, rp, honest, gas);
  await defender.postRoots();
  await challenger.join();
  await playPath(defender, challenger);
  const [verdict] = await game.verdict(gameId);
  if (verdict !== 2n) throw new Error(`the dispute at step ${fault.step} element ${fault.element} did not end Invalid (verdict ${verdict})`);
  return gas;
}

export async function runReferee(quick: boolean): Promise<RefereeSection> {
  const models: RefereeRow[] = [];
  for (const model of [refereeMlp(), refereeCnn()]) {
    const rp = lowerProgram(zooProgram(model));
    const input = zooInput(model, 1);
    const inputTensor: ProgramTensor = { dtype: "uint8", shape: model.inputShape, data: input };
    // The trace commitment inside the timed traced run: every tensor's bytes, trees and the trace root.
    const commit = (t: OrtTrace) => {
      const values = new Map<string, ProgramTensor>([[model.inputName, inputTensor]]);
      for (const d of rp.tensors.slice(1)) values.set(d.name, { dtype: d.dtype, shape: d.shape, data: t.get(d.name)! });
      return commitTrace(rp, values).root;
    };
    // onnxruntime outputs only the tensors the trace commits (a fused Relu's input is not one).
    const timing = await measureTraceOverhead(model, quick ? 20 : 100, { commitTrace: commit, tensors: rp.tensors.slice(1).map((t) => t.name) });
    const values = interpreterTrace(model, rp);
    const trace = commitTrace(rp, values);
    // onnxruntime's trace and the interpreter's commit to the same root (bit-exact runs).
    if (commit(timing.trace) !== trace.root) throw new Error(`${model.name}: onnxruntime's trace root differs from the interpreter's`);
    const steps = await oneStepGas(rp, trace);
    // A whole dispute with the fault at each step's dearest element; the dearest dispute for each side is reported.
    const disputes = [];
    for (const st of steps) {
      const gas = await playDispute(rp, values, { step: st.step, element: st.element });
      disputes.push({ faultAt: { step: st.step, element: st.element }, defender: Number(gas.defender()), challenger: Number(gas.challenger()), movesDefender: gas.count(["postRoots", "open", "openLeaf"]), movesChallenger: gas.count(["join", "pickStep", "pick", "conclude"]) });
    }
    const worst = disputes.reduce((a, b) => (Math.max(b.defender, b.challenger) > Math.max(a.defender, a.challenger) ? b : a));
    const faultAt = worst.faultAt;
    const movesDefender = Math.max(...disputes.map((d) => d.movesDefender));
    const movesChallenger = Math.max(...disputes.map((d) => d.movesChallenger));
    const row: RefereeRow = {
      name: model.name,
      params: model.params,
      ops: rp.steps.length,
      moves: Math.max(movesDefender, movesChallenger),
      movesDefender,
      movesChallenger,
      faultAt,
      gasChallenger: Math.max(...disputes.map((d) => d.challenger)),
      gasDefender: Math.max(...disputes.map((d) => d.defender)),
      disputes,
      gasOneStep: Math.max(...steps.map((s) => s.gas)),
      traceOverhead: round(timing.traceOverhead, 3),
      plainMs: round(timing.plainMs, 4),
      traceMs: round(timing.traceMs, 4),
      interpreterMs: round(timing.interpreterMs, 2),
      steps,
    };
    log(`referee ${row.name}: ${row.params} params, ${row.ops} steps, one-step <= ${row.gasOneStep} gas, disputes at each step: defender <= ${row.gasDefender} gas in <= ${movesDefender} moves, challenger <= ${row.gasChallenger} gas in <= ${movesChallenger} moves (dearest: step ${faultAt.step}); traceOverhead ${row.traceOverhead} (${row.plainMs} ms plain, ${row.traceMs} ms traced)`);
    models.push(row);
  }
  const section: RefereeSection = {
    models,
    targets: REFEREE_TARGETS,
    note: "Each model's dispute is played on RefereeGame (standalone: not yet wired into the JobRegistry as a resolver) once per step, with the fault at that step's dearest element; the figures are the dearest dispute for each side (gas and moves each taken over all disputes); the challenger's gas includes its join (the bond's transfer) and its last move (the one-step); claiming the bond back is not counted.",
  };
  fs.mkdirSync(REPORTS, { recursive: true });
  fs.writeFileSync(path.join(REPORTS, "referee.json"), `${JSON.stringify(section, null, 2)}\n`);
  return section;
}
