/**
 * The refereed game's verdict is always right (issue 15, "a property test of random faults whose
 * verdict is always right"): on a random fixture program, the defender's trace is falsified at a
 * random element of a random step (or left honest), a challenger plays from its own honest trace
 * (an honest defender is challenged at a random step and element), and then:
 * - a falsified trace ends Invalid with the challenger's path the winner, its bond credited back;
 * - an honest trace is upheld: the path is lost, its bond goes to the defender, and once the join
 *   window closes the verdict is Valid;
 * - the game's token balance equals the credits it owes.
 * REFEREE_GAME_RUNS sets the number of games (scripts/coverage.sh runs fewer); the seed is pinned.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { cnnCase, deepCase, residualCase, wideCase } from "../fixtures/refereePrograms";
import { BOND, CLOCK, deployGameFixture, PathStatus, startGame, traces, Verdict, verdictOf } from "../fixtures/refereeGame";
import { playPath } from "../fixtures/refereeGameDriver";

const RUNS = Number(process.env.REFEREE_GAME_RUNS ?? 24);
const SEED = 1515;
const CASES = [cnnCase, residualCase, wideCase, deepCase];

describe("RefereeGame property: random faults, always the right verdict", function () {
  it(`${RUNS} games, faults at random steps and elements or none`, async function () {
    const outcomes = { invalid: 0, valid: 0 };
    await fc.assert(
      fc.asyncProperty(fc.nat(CASES.length - 1), fc.boolean(), fc.nat(1000), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), async (which, falsify, stepDraw, elementDraw) => {
        const f = await loadFixture(deployGameFixture);
        const c = CASES[which]();
        const honest = traces(c);
        const step = stepDraw % honest.rp.steps.length;
        const count = honest.rp.tensors[step + 1].shape.reduce((a, b) => a * b, 1);
        const element = Math.floor(elementDraw * count);
        const t = falsify ? traces(c, { step, element }) : honest;
        const g = await startGame(f, t);
        await g.defender.postRoots();
        // Against a cheat the challenger finds the fault itself; against an honest defender it is sent to the
        // drawn place: the leaf that holds the element (one byte an element), its path's children top down.
        const depth = honest.honest.tensors[step + 1].tree.depth;
        const leaf = Math.floor(element / 1024);
        const children = Array.from({ length: depth }, (_, d) => Math.floor(leaf / 16 ** (depth - 1 - d)) % 16);
        const alice = g.challenger(f.alice, falsify ? {} : { step, element, children });
        await alice.join();
        await playPath(g.defender, alice);
        const status = (await f.game.path(g.gameId, alice.pathId)).status;
        if (falsify) {
          expect(status, `${c.name} step ${step} element ${element}`).to.equal(PathStatus.Won);
          expect(await verdictOf(f, g.gameId)).to.deep.equal({ verdict: Verdict.Invalid, winnerPath: alice.pathId, winner: f.alice.address });
          expect(await f.game.credit(f.alice.address)).to.equal(BOND);
          outcomes.invalid++;
        } else {
          expect(status, `${c.name} step ${step} element ${element}`).to.equal(PathStatus.Lost);
          await time.increase(CLOCK);
          expect((await verdictOf(f, g.gameId)).verdict).to.equal(Verdict.Valid);
          expect(await f.game.credit(f.defender.address)).to.equal(BOND);
          outcomes.valid++;
        }
        const owed = (await f.game.credit(f.alice.address)) + (await f.game.credit(f.defender.address));
        expect(await f.token.balanceOf(f.game)).to.equal(owed);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    // Both outcomes were reached: a property that only ever saw one kind of game would prove little.
    expect(outcomes.invalid, "games with a fault").to.be.greaterThan(0);
    expect(outcomes.valid, "honest games").to.be.greaterThan(0);
  });
});
