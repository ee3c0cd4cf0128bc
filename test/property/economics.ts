/**
 * "Cheating does not pay", as properties over every shipped parameter file (deploy/params/*.json,
 * read with loadParams) and random fees from the fee floor (minFee, or the audit floor when higher) up to the collateral cap
 * (docs/ARCHITECTURE.md, "Why a wrong answer loses money"):
 *   - the collateral the chain locks is max(minimum, fee x multipleBps / 10,000), recomputed here
 *     and compared with a deployed JobRegistry's `securityOf` for a sample of fees,
 *   - it satisfies C.q.h.(1 - b) > (1 - q.h).f with q = minAuditRateBps / 10,000, h = 1 - P[a 10%
 *     stake holds enough of the committee's seats to block an Invalid verdict] and b = the share of
 *     the slash the bounty can hand back, so a wrong answer's expected profit
 *     (1 - q.h).f - q.h.(C - b.C) is negative,
 *   - a fee whose collateral would pass the cap reverts FeeAboveCollateralCap on chain,
 *   - and the same properties fail with a collateral multiple of 1x (the check has teeth).
 * Every amount is exact (bigint; probabilities as fractions). The arithmetic is written out here
 * and not imported from deploy/economics.ts, so that one mistake cannot hide in both.
 * ECONOMICS_RUNS (default 2,000 fees per file) and PROPERTY_SEED (default 20261206) as in accounting.ts.
 */
import { expect } from "chai";
import fc from "fast-check";
import fs from "node:fs";
import { ethers } from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { loadParams, paramsFile, PARAMS_DIR, type NetworkParams } from "../../deploy/params";
import { majorityProbability } from "../../deploy/economics";
import { deployProtocol, type Protocol } from "../../deploy/protocol";
import { defaultPolicy, Mode, requestParams, TOKEN } from "../fixtures/protocol";

const RUNS = Number(process.env.ECONOMICS_RUNS ?? 2_000);
const SEED = Number(process.env.PROPERTY_SEED ?? 20261206);
/** Fees per file requested on chain and compared with securityOf (besides the boundary fees). */
const ON_CHAIN_SAMPLES = 8;
const BPS = 10_000n;

/** Every committed parameter file, by network name. */
const NETWORKS = fs
  .readdirSync(PARAMS_DIR)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""))
  .sort();

/**
 * A file's parameters. Testnet files leave `token` unset on purpose (loadParams refuses them for
 * their own network until it is set); read as "hardhat", where the token is deployed, they load
 * with every other check applied, and the economics do not depend on the token.
 */
function paramsOf(network: string): NetworkParams {
  return loadParams("hardhat", paramsFile(network));
}

/** The collateral JobRegistry._collateralOf locks for a mode that verifies. */
function collateralFor(fee: bigint, p: NetworkParams): bigint {
  const scaled = (fee * BigInt(p.collateral.multipleBps)) / BPS;
  return scaled < p.collateral.minimum ? p.collateral.minimum : scaled;
}

/**
 * The least fee of an OPTIMISTIC job at audit rate `rateBps` judged by the default committee: its
 * verifiers' share must cover the expected audit, fee x verifierBps >= rate x committeeSize x
 * auditReward (JobParams._checkAuditRate), and the protocol's minFee.
 */
function feeFloor(p: NetworkParams, rateBps: number = p.minAuditRateBps): bigint {
  const cost = BigInt(rateBps) * BigInt(p.disputes.committeeSize) * p.disputes.auditReward;
  const verifierBps = BigInt(p.jobs.verifierBps);
  const audit = (cost + verifierBps - 1n) / verifierBps;
  return audit > p.jobs.minFee ? audit : p.jobs.minFee;
}

/** The largest fee whose collateral fits under the cap: floor(fee·m / BPS) <= maximum. */
function capFee(p: NetworkParams): bigint {
  return ((p.collateral.maximum + 1n) * BPS - 1n) / BigInt(p.collateral.multipleBps);
}

/**
 * h as num / 10^k: one minus the probability that an adversary holding 10% of the verifier stake
 * wins at least ceil(k/2) of the k seats (DisputeManager rules Invalid only when Invalid votes
 * outnumber Valid ones, so half the seats force a tie), seats drawn by stake independently.
 */
function honestVerdict(k: number): { num: bigint; den: bigint } {
  let blocked = 0n;
  for (let j = Math.ceil(k / 2); j <= k; j++) {
    let choose = 1n;
    for (let i = 0; i < j; i++) choose = (choose * BigInt(k - i)) / BigInt(i + 1);
    blocked += choose * 1n ** BigInt(j) * 9n ** BigInt(k - j); // p = 1/10, 1 - p = 9/10
  }
  const den = 10n ** BigInt(k);
  return { num: den - blocked, den };
}

interface Terms {
  /** q·h = qh / D. */
  qh: bigint;
  D: bigint;
}

function termsOf(p: NetworkParams): Terms {
  const h = honestVerdict(p.disputes.committeeSize);
  return { qh: BigInt(p.minAuditRateBps) * h.num, D: BPS * h.den };
}

/** b·C: the most of a slash C the bounty hands back (to a challenger who may be the cheater's sybil). */
function handedBack(C: bigint, p: NetworkParams): bigint {
  return p.disputes.bounty < C ? p.disputes.bounty : C;
}

/** C·q·h·(1 − b) > (1 − q·h)·f, scaled by D. */
function conditionHolds(f: bigint, C: bigint, p: NetworkParams, t: Terms): boolean {
  return t.qh * (C - handedBack(C, p)) > (t.D - t.qh) * f;
}

/** (1 − q·h)·f − q·h·(C − b·C), in base units x D: what a wrong answer earns in expectation. */
function expectedProfitTimesD(f: bigint, C: bigint, p: NetworkParams, t: Terms): bigint {
  const keptIfUncaught = (t.D - t.qh) * f;
  const lostIfCaught = t.qh * (C - handedBack(C, p));
  return keptIfUncaught - lostIfCaught;
}

/**
 * Fees from minFee to the cap: uniform over the whole range, dense around the fee at which the
 * multiple starts to bind (minimum / multiple: the worst case), and the boundaries themselves.
 */
function feeArb(p: NetworkParams): fc.Arbitrary<bigint> {
  const min = feeFloor(p);
  const max = capFee(p);
  const kink = (p.collateral.minimum * BPS) / BigInt(p.collateral.multipleBps);
  const clamp = (x: bigint) => (x < min ? min : x > max ? max : x);
  return fc.oneof(
    fc.bigInt({ min, max }),
    fc.bigInt({ min: clamp(kink / 2n), max: clamp(kink * 2n) }),
    fc.constantFrom(min, clamp(kink - 1n), clamp(kink), clamp(kink + 1n), max - 1n, max),
  );
}

function tokens(x: bigint): string {
  return ethers.formatUnits(x, 18);
}

/** Deploys the protocol with a file's parameters and one model audited at exactly minAuditRateBps. */
async function deployFor(p: NetworkParams): Promise<Protocol> {
  const [admin, requester, modelOwner] = await ethers.getSigners();
  const protocol = await deployProtocol(admin, p);
  await protocol.token.mint(requester.address, 10n ** 9n * TOKEN);
  await protocol.token.connect(requester).approve(protocol.jobs, ethers.MaxUint256);
  const policy = defaultPolicy({ auditRateBps: p.minAuditRateBps, minFee: p.jobs.minFee });
  await protocol.models.connect(modelOwner).registerModel(ethers.id(`model:${p.collateral.multipleBps}`), "ipfs://model", policy);
  return protocol;
}

async function requestAt(protocol: Protocol, fee: bigint) {
  const [, requester] = await ethers.getSigners();
  const request = await requestParams({ fee, mode: Mode.OPTIMISTIC, deadline: (await time.latest()) + 24 * 3600 });
  return protocol.jobs.connect(requester).requestInference(request);
}

describe("Economics properties", function () {
  it("covers every shipped parameter file", function () {
    expect(NETWORKS).to.include.members(["hardhat", "localhost", "sepolia", "baseSepolia", "arbitrumSepolia"]);
  });

  describe("committee size from the binomial bound (docs/ARCHITECTURE.md)", function () {
    it("gives the documented probabilities of an adversary majority at a 10% stake share, with and without the producer's bit", function () {
      const table: [number, number, number][] = [
        [3, 0.028, 0.055216],
        [5, 0.00856, 0.017047],
        [7, 0.002728, 0.005449],
        [9, 0.000891, 0.001781],
      ];
      for (const [k, once, twice] of table) {
        expect(majorityProbability(k), `k = ${k}`).to.be.closeTo(once, 0.000001);
        expect(majorityProbability(k, 0.1, 2), `k = ${k}, two tries`).to.be.closeTo(twice, 0.000001);
      }
    });

    for (const network of NETWORKS.filter((n) => n !== "hardhat")) {
      it(`${network}: committeeSize keeps a 10% stake share's majority below 1%, counting the block producer's bit`, function () {
        const k = paramsOf(network).disputes.committeeSize;
        expect(majorityProbability(k, 0.1, 2)).to.be.lessThan(0.01);
      });
    }
  });

  describe(`a wrong OPTIMISTIC answer loses money in expectation at every fee up to the cap (${RUNS} fees per file, seed ${SEED})`, function () {
    for (const network of NETWORKS) {
      it(`${network}: C·q·h·(1 − b) > (1 − q·h)·f, and (1 − q·h)·f − q·h·(C − b·C) < 0`, function () {
        const p = paramsOf(network);
        const t = termsOf(p);
        fc.assert(
          fc.property(feeArb(p), (f) => {
            const C = collateralFor(f, p);
            const profit = expectedProfitTimesD(f, C, p, t);
            if (!conditionHolds(f, C, p, t) || profit >= 0n) {
              throw new Error(`${network}: fee ${tokens(f)}, collateral ${tokens(C)}, q·h = ${t.qh}/${t.D}: a wrong answer expects ${tokens(profit / t.D)}`);
            }
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
      });
    }
  });

  describe("the property has teeth: it fails when the collateral multiple is 1x", function () {
    for (const network of NETWORKS) {
      it(`${network}: with multipleBps 10000 some fee up to the cap pays a wrong answer`, function () {
        const p = structuredClone(paramsOf(network));
        p.collateral.multipleBps = 10_000;
        const t = termsOf(p);
        const result = fc.check(
          fc.property(feeArb(p), (f) => expectedProfitTimesD(f, collateralFor(f, p), p, t) < 0n && conditionHolds(f, collateralFor(f, p), p, t)),
          { numRuns: RUNS, seed: SEED },
        );
        expect(result.failed, `${network}: no fee found that pays at 1x`).to.equal(true);
      });
    }
  });

  describe(`the chain locks the collateral the formula says (securityOf, ${ON_CHAIN_SAMPLES} random fees and the boundaries per file, seed ${SEED})`, function () {
    for (const network of NETWORKS) {
      it(`${network}: securityOf(job) is (max(minimum, fee·multiple), minAuditRateBps, committeeSize), a fee below the audit floor reverts FeeBelowAuditCost and one above the cap FeeAboveCollateralCap`, async function () {
        const p = paramsOf(network);
        const protocol = await deployFor(p);
        const { jobs } = protocol;
        expect(await jobs.EXECUTOR_COLLATERAL()).to.equal(p.collateral.minimum);
        expect(await jobs.COLLATERAL_MULTIPLE_BPS()).to.equal(BigInt(p.collateral.multipleBps));
        expect(await jobs.MAX_COLLATERAL()).to.equal(p.collateral.maximum);
        const sampled = fc.sample(feeArb(p), { numRuns: ON_CHAIN_SAMPLES, seed: SEED });
        const fees = [feeFloor(p), capFee(p), ...sampled];
        for (const fee of fees) {
          await (await requestAt(protocol, fee)).wait();
          const jobId = await jobs.jobCount();
          const [collateral, auditRateBps, committeeSize] = await jobs.securityOf(jobId);
          expect(collateral, `${network}: fee ${fee}`).to.equal(collateralFor(fee, p));
          expect(auditRateBps).to.equal(BigInt(p.minAuditRateBps));
          expect(committeeSize).to.equal(BigInt(p.disputes.committeeSize));
        }
        // Below the audit floor (where it is above minFee): the fee cannot fund its expected audit.
        if (feeFloor(p) > p.jobs.minFee) {
          await expect(requestAt(protocol, feeFloor(p) - 1n))
            .to.be.revertedWithCustomError(jobs, "FeeBelowAuditCost")
            .withArgs(feeFloor(p) - 1n, feeFloor(p));
        }
        // Above the cap: the next fee, and random ones up to 10x the cap.
        const above = [capFee(p) + 1n, ...fc.sample(fc.bigInt({ min: capFee(p) + 1n, max: capFee(p) * 10n }), { numRuns: 3, seed: SEED })];
        for (const fee of above) {
          expect(collateralFor(fee, p) > p.collateral.maximum).to.equal(true);
          await expect(requestAt(protocol, fee)).to.be.revertedWithCustomError(jobs, "FeeAboveCollateralCap").withArgs(fee, p.collateral.maximum);
        }
      });
    }
  });
});
