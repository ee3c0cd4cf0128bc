/**
 * The economic condition of docs/ARCHITECTURE.md ("Why a wrong answer loses money"), in exact
 * integer arithmetic: a wrong OPTIMISTIC answer loses money in expectation iff
 *
 *   C·q·h·(1 − b) > (1 − q·h)·(f + V)
 *
 * with C the collateral locked, q the audit probability, h the probability that a committee rules
 * a wrong result Invalid, b the share of the slash that can flow back to the cheater (the bounty),
 * f the fee and V the requester's external value (0: the protocol does not take V yet).
 * loadParams rejects a parameter file whose collateral multiple does not meet it.
 */

/** A non-negative fraction num / den (den > 0). */
export interface Fraction {
  num: bigint;
  den: bigint;
}

/** The stake share of the adversary that h assumes: 10%. */
export const ADVERSARY_SHARE: Fraction = { num: 1n, den: 10n };

const BPS = 10_000n;

/**
 * Seats an adversary must hold to stop an Invalid verdict on a committee of `k`: DisputeManager
 * rules Invalid only when invalid votes outnumber valid ones, so half the seats (a tie: Undecided)
 * is enough on an even committee, a majority on an odd one.
 */
export function seatsToBlock(k: number): number {
  return Math.ceil(k / 2);
}

/**
 * P[an adversary with stake share `p` holds at least seatsToBlock(k) of the k seats], each seat
 * drawn by stake independently (binomial), as an exact fraction with denominator p.den^k.
 */
export function blockProbability(k: number, p: Fraction = ADVERSARY_SHARE): Fraction {
  let num = 0n;
  for (let j = seatsToBlock(k); j <= k; j++) {
    num += binomial(k, j) * p.num ** BigInt(j) * (p.den - p.num) ** BigInt(k - j);
  }
  return { num, den: p.den ** BigInt(k) };
}

/**
 * P[an adversary with stake share `p` holds a strict majority of the k seats] (it then decides the
 * dispute either way), seats drawn independently by stake; with `producerTries` = 2 a block producer
 * who may withhold one block gets a second draw: 1 − (1 − P)^2. Returned as a number (for docs and
 * the shipped-file check; the collateral check above uses exact fractions).
 */
export function majorityProbability(k: number, p = 0.1, producerTries = 1): number {
  let once = 0;
  for (let j = Math.floor(k / 2) + 1; j <= k; j++) once += Number(binomial(k, j)) * p ** j * (1 - p) ** (k - j);
  return 1 - (1 - once) ** producerTries;
}

/** h: the probability that a committee of `k` honest-majority seats rules a wrong result Invalid (at least 1 − blockProbability). */
export function invalidVerdictProbability(k: number, p: Fraction = ADVERSARY_SHARE): Fraction {
  const blocked = blockProbability(k, p);
  return { num: blocked.den - blocked.num, den: blocked.den };
}

/** q·h for an audit rate in basis points and a committee of `k`. */
export function catchProbability(auditRateBps: number, k: number, p: Fraction = ADVERSARY_SHARE): Fraction {
  const h = invalidVerdictProbability(k, p);
  return { num: BigInt(auditRateBps) * h.num, den: BPS * h.den };
}

/**
 * The least collateral multiple (basis points of the fee) for which a wrong answer loses money at
 * every fee: multiple / 10,000 > (1 − q·h) / (q·h·(1 − b)) with b = bounty / minimum (the largest
 * share of a slash the bounty can be, since C >= minimum). Undefined when no multiple is enough:
 * q·h = 0 (no audit) or b >= 1 (the bounty is the whole minimum collateral).
 */
export function leastMultipleBps(minimum: bigint, bounty: bigint, auditRateBps: number, committeeSize: number): bigint | undefined {
  const qh = catchProbability(auditRateBps, committeeSize);
  const kept = minimum - (bounty < minimum ? bounty : minimum); // C·(1 − b) at C = minimum
  if (qh.num === 0n || kept === 0n) return undefined;
  // multiple·qh.num·kept > BPS·minimum·(qh.den − qh.num): the least integer above the quotient.
  return (BPS * minimum * (qh.den - qh.num)) / (qh.num * kept) + 1n;
}

/** JobRegistry._collateralOf for a mode that verifies: max(minimum, fee·multipleBps / 10,000), rounded down. */
export function collateralFor(fee: bigint, terms: { minimum: bigint; multipleBps: number | bigint }): bigint {
  const scaled = (fee * BigInt(terms.multipleBps)) / BPS;
  return scaled < terms.minimum ? terms.minimum : scaled;
}

/** The largest fee a mode that verifies accepts: the last fee whose collateral is at most `maximum`. */
export function largestFee(terms: { minimum: bigint; multipleBps: number | bigint; maximum: bigint }): bigint {
  // floor(fee·m / BPS) <= maximum  <=>  fee·m < (maximum + 1)·BPS
  return ((terms.maximum + 1n) * BPS - 1n) / BigInt(terms.multipleBps);
}

/** A fraction as a decimal string with `digits` places (for messages and docs). */
export function decimal(f: Fraction, digits = 4): string {
  const scale = 10n ** BigInt(digits);
  const scaled = (f.num * scale + f.den / 2n) / f.den;
  const whole = scaled / scale;
  const rest = (scaled % scale).toString().padStart(digits, "0").replace(/0+$/, "");
  return rest ? `${whole}.${rest}` : `${whole}`;
}

function binomial(n: number, k: number): bigint {
  let out = 1n;
  for (let i = 0; i < k; i++) out = (out * BigInt(n - i)) / BigInt(i + 1);
  return out;
}
