/**
 * A refereed dispute through the hub (issue 15, "the verdict goes back to the job through the
 * dispute-resolver interface"): the zoo's 1.86M-parameter MLP registered refereeable, its model's
 * resolver a RefereeResolver, a job requested, a result submitted and challenged on the JobRegistry,
 * the game started from the job's own bytes and played to its end with one challenger, and the
 * verdict settled by the hub: a cheating executor loses its collateral (the path's challenger gets
 * the bounty) and an honest one is paid. Every refusal of `start` and `resolve` is exercised by name.
 */
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { RefereeGame__factory, RefereeOneStep__factory, RefereeResolver__factory } from "../../packages/node/src/typechain";
import { commitTrace, encodeTensors, refereeInputSpec, lowerProgram, programHash, refereeMlp, runProgram, zooInput, zooProgram, type ProgramTensor } from "../../packages/node/src";
import { deployWorld, exactPolicy, Mode, nextEpoch, requestJob, signerOf, Status, Verdict } from "../fixtures/protocol";
import { falsifyElement } from "../fixtures/refereePrograms";
import { Challenger, Defender, GasBook, playPath } from "../fixtures/refereeGameDriver";

const HOUR = 3600;
const CLOCK = HOUR;
const EXTENSION = 600;
const BOND_PER_GAS = 10n ** 12n;
const START_WINDOW = 600;
const MODEL = 2n; // deployWorld registers model 1 (a float model)

/** The world, the MLP registered as model 2 with its program declared, and a RefereeResolver as its resolver. */
async function refereeWorld() {
  const w = await deployWorld();
  const zoo = refereeMlp();
  const program = zooProgram(zoo);
  const rp = lowerProgram(program);
  await w.models
    .connect(w.modelOwner)
    .registerModel(ethers.sha256(zoo.onnx), "ipfs://referee-mlp", exactPolicy({ allowedModes: (1 << Mode.NONE) | (1 << Mode.OPTIMISTIC), maxInputBytes: 4096 }));
  const inputSpec = refereeInputSpec(zoo.inputName, "uint8", zoo.inputShape);
  await w.models.connect(w.modelOwner).declareProgram(MODEL, 1, { programHash: programHash(program), stepsHash: rp.stepsHash, steps: rp.steps.length, inputSpec });
  const oneStep = await new RefereeOneStep__factory(w.admin).deploy();
  const resolver = await new RefereeResolver__factory(w.admin).deploy(w.jobs, w.models, oneStep, w.token, CLOCK, EXTENSION, BOND_PER_GAS, START_WINDOW);
  const game = RefereeGame__factory.connect(await resolver.GAME(), w.admin);
  await w.jobs.connect(w.admin).setResolverAllowed(resolver, true);
  await w.models.connect(w.modelOwner).setResolver(MODEL, resolver);
  for (const e of w.executors) await w.stakes.connect(e).optIn(MODEL);
  for (const v of w.verifiers) await w.token.connect(v).approve(game, ethers.MaxUint256);
  await nextEpoch(w);
  const inputData = zooInput(zoo, 7);
  const input = encodeTensors({ [zoo.inputName]: { dtype: "uint8", shape: [...zoo.inputShape], data: inputData } });
  const values = runProgram(program, { [zoo.inputName]: inputData }, { trace: true }).trace as Map<string, ProgramTensor>;
  return { w, zoo, rp, resolver, game, input, values };
}

type RefereeWorld = Awaited<ReturnType<typeof refereeWorld>>;

/** The canonical output of a trace's last tensor. */
function outputOf(r: RefereeWorld, values: ReadonlyMap<string, ProgramTensor>): Uint8Array {
  const last = values.get(r.zoo.outputName)!;
  return encodeTensors({ [r.zoo.outputName]: { dtype: "uint8", shape: [...r.zoo.outputShape], data: Array.from(last.data) } });
}

/** A job on the MLP, assigned; its executor submits `values`' output; the first verifier challenges on the hub. */
async function challengedJob(r: RefereeWorld, values: ReadonlyMap<string, ProgramTensor>) {
  const { jobId, assigned } = await requestJob(r.w, { modelId: MODEL, input: r.input });
  const executor = signerOf(r.w.executors, assigned[0]);
  const output = outputOf(r, values);
  await r.w.jobs.connect(executor).submitResult(jobId, output);
  const challenger = r.w.verifiers[0];
  await r.w.jobs.connect(challenger).challenge(jobId);
  return { jobId, executor, challenger, output };
}

/** Starts the dispute's game, and the two sides' drivers on it. */
async function startGame(r: RefereeWorld, jobId: bigint, output: Uint8Array, executor: HardhatEthersSigner, challenger: HardhatEthersSigner, defenderValues: ReadonlyMap<string, ProgramTensor>) {
  const gameId = await r.resolver.start.staticCall(jobId, 1, r.input, output);
  await r.resolver.start(jobId, 1, r.input, output);
  const gas = new GasBook();
  const defender = new Defender(r.game, executor, gameId, commitTrace(r.rp, defenderValues), gas);
  const honest = new Challenger(r.game, challenger, gameId, r.rp, commitTrace(r.rp, r.values), gas);
  return { gameId, defender, honest };
}

describe("A refereed dispute through the hub (RefereeResolver)", function () {
  this.timeout(300_000);

  describe("a cheating executor loses its collateral to one challenger, with no committee", function () {
    it("a wrong element of the output: the game finds it, resolveDispute slashes the executor and pays the path's challenger the bounty", async function () {
      const r = await loadFixture(refereeWorld);
      const last = r.rp.steps.length - 1;
      const cheat = falsifyElement(r.rp, r.values, { step: last, element: 3 });
      const { jobId, executor, challenger, output } = await challengedJob(r, cheat);
      const d = await r.resolver.disputeOf(jobId);
      expect(d.executor).to.equal(executor.address);
      expect(d.jobDigest).to.equal(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint16", "bytes32", "bytes32"], [1, ethers.keccak256(r.input), ethers.keccak256(output)])));
      await expect(r.w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(r.resolver, "NotDecided").withArgs(jobId);

      const { gameId, defender, honest } = await startGame(r, jobId, output, executor, challenger, cheat);
      const g = await r.game.game(gameId);
      expect(g.defender).to.equal(executor.address);
      expect(g.inputRoot).to.equal(commitTrace(r.rp, r.values).tensors[0].tree.root);
      await defender.postRoots();
      await honest.join();
      await playPath(defender, honest);
      expect((await r.game.verdict(gameId))[0]).to.equal(BigInt(Verdict.Invalid));

      const bounty = await r.w.disputes.bounty();
      const before = await r.w.vault.creditOf(challenger.address);
      await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid).and.to.emit(r.w.jobs, "CollateralSlashed");
      expect((await r.w.vault.creditOf(challenger.address)) - before).to.equal(bounty);
      expect((await r.w.jobs.jobOf(jobId)).status).to.not.equal(BigInt(Status.Finalized));
    });

    it("a wrong intermediate with a right output is found too: Invalid", async function () {
      const r = await loadFixture(refereeWorld);
      const cheat = falsifyElement(r.rp, r.values, { step: 0, element: 5 });
      const { jobId, executor, challenger, output } = await challengedJob(r, cheat);
      expect(output).to.deep.equal(outputOf(r, r.values)); // the posted output is the honest one
      const { gameId, defender, honest } = await startGame(r, jobId, output, executor, challenger, cheat);
      await defender.postRoots();
      await honest.join();
      await playPath(defender, honest);
      expect((await r.game.verdict(gameId))[0]).to.equal(BigInt(Verdict.Invalid));
      await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid);
    });
  });

  describe("an honest executor is paid", function () {
    it("a challenger that names an honest element loses its path; once joins close, resolveDispute finalizes the job", async function () {
      const r = await loadFixture(refereeWorld);
      const { jobId, executor, challenger, output } = await challengedJob(r, r.values);
      const { gameId, defender } = await startGame(r, jobId, output, executor, challenger, r.values);
      // Nothing differs: the challenger disputes step 1 anyway, and the one-step upholds the defender.
      const griefer = new Challenger(r.game, challenger, gameId, r.rp, commitTrace(r.rp, r.values), new GasBook(), { step: 1 });
      await defender.postRoots();
      await griefer.join();
      await playPath(defender, griefer);
      expect((await r.game.path(gameId, griefer.pathId)).status).to.equal(4n); // Lost
      await expect(r.w.jobs.resolveDispute(jobId)).to.be.revertedWithCustomError(r.resolver, "NotDecided"); // joins still open
      await time.increase(CLOCK + 1);
      await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Valid);
      expect((await r.w.jobs.jobOf(jobId)).status).to.equal(BigInt(Status.Finalized));
    });

    it("a dispute nobody starts is Valid once the start window is over; a started game nobody joins is Valid once its joins close", async function () {
      const r = await loadFixture(refereeWorld);
      const first = await challengedJob(r, r.values);
      await time.increase(START_WINDOW + 1);
      await expect(r.w.jobs.resolveDispute(first.jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(first.jobId, Verdict.Valid);

      const second = await challengedJob(r, r.values);
      await r.resolver.start(second.jobId, 1, r.input, second.output);
      await expect(r.w.jobs.resolveDispute(second.jobId)).to.be.revertedWithCustomError(r.resolver, "NotDecided");
      await time.increase(CLOCK + 1);
      await expect(r.w.jobs.resolveDispute(second.jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(second.jobId, Verdict.Valid);
    });
  });

  describe("the hub's deadline bounds the game", function () {
    it("holds the dispute until the job's deadline at most: a game still running then ends Undecided and refunds the requester", async function () {
      const r = await loadFixture(refereeWorld);
      const disputeWindow = await r.resolver.disputeWindow();
      expect(disputeWindow).to.equal(BigInt(START_WINDOW) + (await r.game.maxDuration()));
      const { jobId, executor, challenger, output } = await challengedJob(r, r.values);
      const job = await r.w.jobs.jobOf(jobId);
      // Opened now + the resolver's window would pass the deadline (one day): the hub stops at it.
      const opened = BigInt(await time.latest());
      expect(opened + disputeWindow).to.be.below(job.deadline); // this game fits: its window is the resolver's
      expect(job.phaseEnd).to.equal(opened + disputeWindow);
      const { defender, honest } = await startGame(r, jobId, output, executor, challenger, r.values);
      await defender.postRoots();
      await honest.join();
      await time.increaseTo(job.phaseEnd + 1n);
      await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "ResolverLapsed").and.to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Undecided);
    });
  });

  describe("invalid-input claims are decided by the tensor codec, not by a game", function () {
    /** A job on `input`, its executor posting the claim `0x00 reason`, challenged on the hub. */
    async function claimedJob(r: RefereeWorld, input: Uint8Array, reason: number) {
      const { jobId, assigned } = await requestJob(r.w, { modelId: MODEL, input });
      const executor = signerOf(r.w.executors, assigned[0]);
      const claim = Uint8Array.of(0, reason);
      await r.w.jobs.connect(executor).submitResult(jobId, claim);
      const challenger = r.w.verifiers[0];
      await r.w.jobs.connect(challenger).challenge(jobId);
      return { jobId, executor, challenger, claim };
    }

    it("a claim on an input that fits the program is false, whatever its reason (\"the model failed\" included): Invalid, slashed, bounty to the challenger", async function () {
      const r = await loadFixture(refereeWorld);
      for (const reason of [2, 4]) {
        const { jobId, challenger, claim } = await claimedJob(r, r.input, reason);
        await expect(r.resolver.decideClaim(jobId, 1, r.input, claim)).to.emit(r.resolver, "ClaimDecided").withArgs(jobId, 1, true, Verdict.Invalid);
        const before = await r.w.vault.creditOf(challenger.address);
        await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Invalid).and.to.emit(r.w.jobs, "CollateralSlashed");
        expect((await r.w.vault.creditOf(challenger.address)) - before).to.equal(await r.w.disputes.bounty());
      }
    });

    it("a claim stands (Valid) on an input of another shape, another dtype, another name, two tensors, or bytes that are no tensor map", async function () {
      const r = await loadFixture(refereeWorld);
      const data = Array.from(zooInput(r.zoo, 3));
      const misfits: Uint8Array[] = [
        encodeTensors({ x: { dtype: "uint8", shape: [1, 783], data: data.slice(0, 783) } }),
        encodeTensors({ x: { dtype: "int8", shape: [1, 784], data: data.map((v) => v - 128) } }),
        encodeTensors({ image: { dtype: "uint8", shape: [1, 784], data } }),
        encodeTensors({ x: { dtype: "uint8", shape: [1, 784], data }, z: { dtype: "uint8", shape: [1], data: [0] } }),
        Uint8Array.from([0xde, 0xad, 0xbe, 0xef]),
      ];
      for (const input of misfits) {
        const { jobId, claim } = await claimedJob(r, input, 2);
        await expect(r.resolver.decideClaim(jobId, 1, input, claim)).to.emit(r.resolver, "ClaimDecided").withArgs(jobId, 1, false, Verdict.Valid);
        await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Valid);
      }
    });

    it("refuses by name: NotAClaim for a tensor output, ClaimAlreadyDecided for a second decision or a game after it, NotTheJobsBytes for another input", async function () {
      const r = await loadFixture(refereeWorld);
      const tensorJob = await challengedJob(r, r.values);
      await expect(r.resolver.decideClaim(tensorJob.jobId, 1, r.input, tensorJob.output)).to.be.revertedWithCustomError(r.resolver, "NotAClaim").withArgs(tensorJob.jobId);
      const { jobId, claim } = await claimedJob(r, r.input, 4);
      const other = encodeTensors({ x: { dtype: "uint8", shape: [1, 784], data: zooInput(r.zoo, 9) } });
      await expect(r.resolver.decideClaim(jobId, 1, other, claim)).to.be.revertedWithCustomError(r.resolver, "NotTheJobsBytes").withArgs(jobId);
      await r.resolver.decideClaim(jobId, 1, r.input, claim);
      await expect(r.resolver.decideClaim(jobId, 1, r.input, claim)).to.be.revertedWithCustomError(r.resolver, "ClaimAlreadyDecided").withArgs(jobId);
      await expect(r.resolver.start(jobId, 1, r.input, claim)).to.be.revertedWithCustomError(r.resolver, "ClaimAlreadyDecided").withArgs(jobId);
    });
  });

  describe("the job's deadline cuts a game that cannot end before it", function () {
    it("a job due in three hours: the hub holds the dispute until its deadline, not the game's six, then ends it Undecided and refunds", async function () {
      const r = await loadFixture(refereeWorld);
      const deadline = (await time.latest()) + 3 * HOUR;
      const { jobId, assigned } = await requestJob(r.w, { modelId: MODEL, input: r.input, deadline });
      const executor = signerOf(r.w.executors, assigned[0]);
      await r.w.jobs.connect(executor).submitResult(jobId, outputOf(r, r.values));
      await r.w.jobs.connect(r.w.verifiers[0]).challenge(jobId);
      const opened = BigInt(await time.latest());
      expect(opened + (await r.resolver.disputeWindow())).to.be.above(BigInt(deadline));
      expect((await r.w.jobs.jobOf(jobId)).phaseEnd).to.equal(BigInt(deadline));
      await r.resolver.start(jobId, 1, r.input, outputOf(r, r.values));
      await time.increaseTo(deadline + 1);
      await expect(r.w.jobs.resolveDispute(jobId)).to.emit(r.w.jobs, "DisputeSettled").withArgs(jobId, Verdict.Undecided);
    });
  });

  describe("start: refusals, each by its error", function () {
    it("NotTheJobsBytes for another input, another output or another version; NoDisputeHere for a job with no dispute here", async function () {
      const r = await loadFixture(refereeWorld);
      const { jobId, output } = await challengedJob(r, r.values);
      const otherInput = encodeTensors({ x: { dtype: "uint8", shape: [1, 784], data: zooInput(r.zoo, 8) } });
      const otherOutput = outputOf(r, falsifyElement(r.rp, r.values, { step: r.rp.steps.length - 1, element: 0 }));
      await expect(r.resolver.start(jobId, 1, otherInput, output)).to.be.revertedWithCustomError(r.resolver, "NotTheJobsBytes").withArgs(jobId);
      await expect(r.resolver.start(jobId, 1, r.input, otherOutput)).to.be.revertedWithCustomError(r.resolver, "NotTheJobsBytes").withArgs(jobId);
      await expect(r.resolver.start(jobId, 2, r.input, output)).to.be.revertedWithCustomError(r.resolver, "NotTheJobsBytes").withArgs(jobId);
      await expect(r.resolver.start(99n, 1, r.input, output)).to.be.revertedWithCustomError(r.resolver, "NoDisputeHere").withArgs(99n);
    });

    it("AlreadyStarted for a second start; StartWindowClosed after the window", async function () {
      const r = await loadFixture(refereeWorld);
      const a = await challengedJob(r, r.values);
      const gameId = await r.resolver.start.staticCall(a.jobId, 1, r.input, a.output);
      await r.resolver.start(a.jobId, 1, r.input, a.output);
      await expect(r.resolver.start(a.jobId, 1, r.input, a.output)).to.be.revertedWithCustomError(r.resolver, "AlreadyStarted").withArgs(a.jobId, gameId);
      const b = await challengedJob(r, r.values);
      const opened = (await r.resolver.disputeOf(b.jobId)).openedAt;
      await time.increase(START_WINDOW + 1);
      await expect(r.resolver.start(b.jobId, 1, r.input, b.output))
        .to.be.revertedWithCustomError(r.resolver, "StartWindowClosed")
        .withArgs(b.jobId, opened + BigInt(START_WINDOW));
    });

    it("NotRefereeable when the job's version declares no program", async function () {
      const r = await loadFixture(refereeWorld);
      await r.w.models.connect(r.w.modelOwner).publishVersion(MODEL, ethers.id("v2"), "ipfs://v2");
      const { jobId, assigned } = await requestJob(r.w, { modelId: MODEL, version: 2, input: r.input });
      const executor = signerOf(r.w.executors, assigned[0]);
      const output = outputOf(r, r.values);
      await r.w.jobs.connect(executor).submitResult(jobId, output);
      await r.w.jobs.connect(r.w.verifiers[0]).challenge(jobId);
      await expect(r.resolver.start(jobId, 2, r.input, output)).to.be.revertedWithCustomError(r.resolver, "NotRefereeable").withArgs(MODEL, 2);
    });
  });

  describe("open and resolve: the hub only", function () {
    it("NotHub for any other caller", async function () {
      const r = await loadFixture(refereeWorld);
      const other = r.w.others[0];
      await expect(r.resolver.connect(other).open(1n, MODEL, other.address, other.address, ethers.ZeroHash)).to.be.revertedWithCustomError(r.resolver, "NotHub").withArgs(other.address);
      await expect(r.resolver.connect(other).resolve(1n)).to.be.revertedWithCustomError(r.resolver, "NotHub").withArgs(other.address);
    });

    it("the constructor bounds its start window and names a missing dependency", async function () {
      const r = await loadFixture(refereeWorld);
      const F = new RefereeResolver__factory(r.w.admin);
      const oneStep = await r.game.ONE_STEP();
      await expect(F.deploy(r.w.jobs, r.w.models, oneStep, r.w.token, CLOCK, EXTENSION, BOND_PER_GAS, 59)).to.be.revertedWithCustomError(F, "StartWindowOutOfRange").withArgs(59, 60, CLOCK);
      await expect(F.deploy(r.w.jobs, r.w.models, oneStep, r.w.token, CLOCK, EXTENSION, BOND_PER_GAS, CLOCK + 1)).to.be.revertedWithCustomError(F, "StartWindowOutOfRange").withArgs(CLOCK + 1, 60, CLOCK);
      await expect(F.deploy(ethers.ZeroAddress, r.w.models, oneStep, r.w.token, CLOCK, EXTENSION, BOND_PER_GAS, START_WINDOW)).to.be.revertedWithCustomError(F, "ZeroAddress").withArgs("hub");
      await expect(F.deploy(r.w.jobs, ethers.ZeroAddress, oneStep, r.w.token, CLOCK, EXTENSION, BOND_PER_GAS, START_WINDOW)).to.be.revertedWithCustomError(F, "ZeroAddress").withArgs("models");
    });
  });
});

