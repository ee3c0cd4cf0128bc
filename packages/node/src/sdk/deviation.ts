/**
 * How far a claimed output is from a recomputed one, element by element: the largest absolute
 * difference |claimed - computed| and the largest relative one |claimed - computed| / |computed|
 * (an element whose computed value is 0 counts only in the absolute figure). For reports; the
 * verdict is compareOutputs' (verify/tolerance.ts), the node's own rule.
 *
 * Browser-safe: the codec only.
 */
import { decodeTensors, isInvalidClaim, type DecodedTensor } from "../codec/tensor";

export interface Deviation {
  maxAbsDeviation: number;
  maxRelDeviation: number;
}

/**
 * The deviation of `claimed` from `computed` (canonical bytes), or undefined when they cannot be
 * compared element by element (an invalid claim, undecodable bytes, other names or shapes).
 */
export function deviationOf(claimed: Uint8Array, computed: Uint8Array): Deviation | undefined {
  if (isInvalidClaim(claimed) || isInvalidClaim(computed)) return undefined;
  let theirs: Record<string, DecodedTensor>;
  let mine: Record<string, DecodedTensor>;
  try {
    theirs = decodeTensors(claimed);
    mine = decodeTensors(computed);
  } catch {
    return undefined;
  }
  const names = Object.keys(mine);
  if (names.length !== Object.keys(theirs).length) return undefined;
  let maxAbsDeviation = 0;
  let maxRelDeviation = 0;
  for (const name of names) {
    const a = theirs[name];
    const b = mine[name];
    if (a === undefined || a.data.length !== b.data.length || a.shape.join("x") !== b.shape.join("x")) return undefined;
    for (let i = 0; i < b.data.length; i++) {
      const x = Number(a.data[i]);
      const y = Number(b.data[i]);
      const abs = Number.isNaN(x) !== Number.isNaN(y) ? Infinity : Number.isNaN(x) ? 0 : Math.abs(x - y);
      if (abs > maxAbsDeviation) maxAbsDeviation = abs;
      if (y !== 0 && abs / Math.abs(y) > maxRelDeviation) maxRelDeviation = abs / Math.abs(y);
    }
  }
  return { maxAbsDeviation, maxRelDeviation };
}
