/**
 * The models the devnet registers, each with an input a client can send: the three models built in
 * TypeScript with onnx-proto (an MLP, a convolution, and a model with an int64 input and several
 * outputs) and Silero VAD, a model nobody here wrote, shipped inside an npm package.
 */
import { encodeTensors, type TensorMap } from "../../packages/node/src/sdk";
import { conv, mlp, multi, seededRandom } from "../../packages/testkit/src/fixtures";
import { SILERO_VAD, thirdPartyModelBytes } from "../../packages/testkit/src/thirdParty";

export interface DevnetModel {
  name: string;
  description: string;
  bytes(): Uint8Array;
  /** A canonical input that fits the model. */
  input(): Uint8Array;
  /** Tolerance at the registry's 1e12 scale. */
  absTolerance: bigint;
  relTolerance: bigint;
  /** Outputs identical on every machine (integer ops and single float ops): the model may use QUORUM. */
  exact: boolean;
}

const TOL_SCALE = 10n ** 12n;

function noise(seed: number, n: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => next() * 2 - 1);
}

function encoded(tensors: TensorMap): Uint8Array {
  return encodeTensors(tensors);
}

export const DEVNET_MODELS: DevnetModel[] = [
  {
    name: "mlp",
    description: "MLP 4-8-3 (built here)",
    bytes: mlp,
    input: () => encoded({ x: { dtype: "float32", shape: [2, 4], data: [0.5, -1, 2, 3.25, -0.75, 0.1, 1.5, -2] } }),
    absTolerance: TOL_SCALE / 10_000n, // 1e-4
    relTolerance: TOL_SCALE / 1_000n, // 1e-3
    exact: false,
  },
  {
    name: "conv",
    description: "3x3 convolution + pooling on an 8x8 image (built here)",
    bytes: conv,
    input: () => encoded({ image: { dtype: "float32", shape: [1, 1, 8, 8], data: noise(7, 64) } }),
    absTolerance: TOL_SCALE / 10_000n,
    relTolerance: TOL_SCALE / 1_000n,
    exact: false,
  },
  {
    name: "multi",
    description: "int64 ids + float scale -> int64, float and bool outputs (built here)",
    bytes: multi,
    input: () =>
      encoded({
        ids: { dtype: "int64", shape: [5], data: BigInt64Array.of(3n, -1n, 0n, 42n, 7n) },
        scale: { dtype: "float32", shape: [], data: [0.5] },
      }),
    // Integer products and sums, one float multiply by a power of two: bit-identical everywhere,
    // so its policy is exact and it is the devnet's QUORUM model (QUORUM requires exact models).
    absTolerance: 0n,
    relTolerance: 0n,
    exact: true,
  },
  {
    name: SILERO_VAD.name,
    description: `Silero VAD, third-party (npm ${SILERO_VAD.npmPackage}@${SILERO_VAD.npmVersion})`,
    bytes: () => thirdPartyModelBytes(SILERO_VAD),
    input: () =>
      encoded({
        input: { dtype: "float32", shape: [1, 512], data: noise(11, 512) },
        sr: { dtype: "int64", shape: [], data: BigInt64Array.of(16_000n) },
        h: { dtype: "float32", shape: [2, 1, 64], data: new Float32Array(128) },
        c: { dtype: "float32", shape: [2, 1, 64], data: new Float32Array(128) },
      }),
    absTolerance: TOL_SCALE / 1_000n, // 1e-3: an LSTM's state drifts a little more across builds
    relTolerance: TOL_SCALE / 100n,
    exact: false,
  },
];

/** An input no model accepts ("x" of the wrong rank for the MLP): its job must end invalid, not crash a node. */
export function misfitInput(): Uint8Array {
  return encoded({ x: { dtype: "float32", shape: [4], data: [1, 2, 3, 4] } });
}
