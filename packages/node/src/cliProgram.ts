/**
 * Refereeable registration on the command line (issue 15): the program hashes a model file
 * compiles to, declared on a version (`model register --refereeable`, `model version publish
 * --refereeable`, `model program declare`), and the check `node opt-in` makes before it sends
 * anything: every live version that declares a program must compile here to the same hashes.
 */
import { sha256 } from "ethers";
import { CliError } from "./cliError";
import { inspectRefereeModel } from "./cliReferee";
import { DTYPES, type DType } from "./codec/tensor";
import { refereeInputSpec } from "./referee/inputSpec";
import type { GlassboxClient } from "./sdk/client";
import type { RefereeProgramInfo } from "./sdk/types";

/** The program a model file compiles to; a CliError saying why when it cannot be refereed. */
export function programOfModel(bytes: Uint8Array, what: string): RefereeProgramInfo {
  const inspection = inspectRefereeModel(bytes, what);
  const input = inspection.input;
  if (!(input.dtype in DTYPES)) throw new CliError(`${what} cannot be refereed: its input's dtype ${input.dtype} has no tensor codec code`);
  return {
    programHash: inspection.programHash,
    stepsHash: inspection.stepsHash,
    steps: inspection.steps.length,
    inputSpec: refereeInputSpec(input.name, input.dtype as DType, input.shape),
  };
}

/** Declares `version`'s program from the file, after checking that the file is that version's bytes. */
export async function declareProgramOf(client: GlassboxClient, modelId: bigint, version: number, bytes: Uint8Array, what: string): Promise<RefereeProgramInfo> {
  const registered = await client.version(modelId, version);
  const digest = sha256(bytes);
  if (digest !== registered.digest) {
    throw new CliError(`${what} is not version ${version} of model ${modelId}: its SHA-256 is ${digest}, the version's is ${registered.digest}; give the file that version was published from`);
  }
  const program = programOfModel(bytes, what);
  await client.declareProgram(modelId, version, program);
  return program;
}

/** What `node opt-in` found for one version. */
export interface ReproducedProgram {
  version: number;
  program: RefereeProgramInfo;
}

/**
 * Recompiles every version of `modelId` that declares a program and is not deprecated, from the
 * bytes its URI serves (SHA-256 checked), and returns them; throws a CliError naming the first
 * version whose program or steps hash this node does not reproduce (opting in to it would stake on
 * a referee that judges another program than the one this node runs).
 */
export async function reproduceDeclaredPrograms(client: GlassboxClient, modelId: bigint): Promise<ReproducedProgram[]> {
  const { versions } = await client.model(modelId);
  const reproduced: ReproducedProgram[] = [];
  for (let version = 1; version <= versions; version++) {
    const declared = await client.program(modelId, version);
    if (declared === undefined) continue;
    if ((await client.version(modelId, version)).deprecated) continue;
    const what = `model ${modelId} version ${version}`;
    const bytes = await client.modelBytes(modelId, version);
    const here = programOfModel(bytes, what);
    for (const field of ["programHash", "stepsHash", "steps", "inputSpec"] as const) {
      if (here[field] !== declared[field]) {
        throw new CliError(
          `${what} declares ${field} ${declared[field]}, but its ONNX compiles here to ${here[field]}: not opting in (the referee would judge a program this node does not run). Ask the model's owner to publish a version declared with glassbox referee inspect's hashes, or check this node's glassbox version`,
        );
      }
    }
    reproduced.push({ version, program: declared });
  }
  return reproduced;
}
