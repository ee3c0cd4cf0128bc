/**
 * The devnet's dishonest executor: `glassbox node start` with every float output shifted by +1.0,
 * far beyond any model's tolerance. Same flags as `glassbox node start`.
 */
import { main } from "../../packages/node/src";
import { perturbFloats } from "../../packages/testkit/src/dishonest";

/** How far the cheat's outputs are from the truth. */
export const CHEAT_DELTA = 1.0;

void main(process.argv.slice(2), { strategy: perturbFloats(CHEAT_DELTA) });
