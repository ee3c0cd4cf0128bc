/**
 * Decodes a protocol revert out of whatever ethers (or the endpoint behind it) threw: a
 * CALL_EXCEPTION with `data`, an estimateGas failure, revert data nested in `error.error.data` or
 * `info.error.data`, a "could not coalesce error" wrapping a JSON-RPC error that carries the data
 * (Hardhat's automine answers a mined-but-reverted transaction that way), or, last, Hardhat's
 * in-process message "reverted with custom error 'Name(args)'". The data is decoded against the
 * ABIs of every protocol contract (a call may revert in a contract it reaches through another).
 *
 * Browser-safe: only ethers and the typechain factories' ABIs.
 */
import { ErrorFragment, Interface, type InterfaceAbi, type Result } from "ethers";
import { DisputeManager__factory } from "../typechain/factories/contracts/DisputeManager__factory";
import { GlassboxToken__factory } from "../typechain/factories/contracts/GlassboxToken__factory";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { ModelRegistry__factory } from "../typechain/factories/contracts/ModelRegistry__factory";
import { PaymentVault__factory } from "../typechain/factories/contracts/PaymentVault__factory";
import { QuorumManager__factory } from "../typechain/factories/contracts/QuorumManager__factory";
import { StakeManager__factory } from "../typechain/factories/contracts/StakeManager__factory";
import { InferenceConsumer__factory } from "../typechain/factories/contracts/consumer/InferenceConsumer__factory";
import { GlassboxTimelock__factory } from "../typechain/factories/contracts/governance/GlassboxTimelock__factory";
import { BlockHeader__factory } from "../typechain/factories/contracts/libraries/BlockHeader__factory";
import { JobParams__factory } from "../typechain/factories/contracts/libraries/JobParams__factory";
import { JobSettlement__factory } from "../typechain/factories/contracts/libraries/JobSettlement__factory";
import { OneStepOps__factory } from "../typechain/factories/contracts/libraries/OneStepOps__factory";
import { Requantize__factory } from "../typechain/factories/contracts/libraries/Requantize__factory";
import { SumTree__factory } from "../typechain/factories/contracts/libraries/SumTree__factory";
import { TensorCodec__factory } from "../typechain/factories/contracts/libraries/TensorCodec__factory";
import { TraceBinding__factory } from "../typechain/factories/contracts/libraries/TraceBinding__factory";
import { TraceMerkle__factory } from "../typechain/factories/contracts/libraries/TraceMerkle__factory";
import { BlockHashRandomness__factory } from "../typechain/factories/contracts/randomness/BlockHashRandomness__factory";
import { PrevrandaoHeaderRandomness__factory } from "../typechain/factories/contracts/randomness/PrevrandaoHeaderRandomness__factory";
import { VrfRandomnessAdapter__factory } from "../typechain/factories/contracts/randomness/VrfRandomnessAdapter__factory";
import { RefereeGame__factory } from "../typechain/factories/contracts/referee/RefereeGame__factory";
import { RefereeResolver__factory } from "../typechain/factories/contracts/referee/RefereeResolver__factory";
import { RefereeOneStep__factory } from "../typechain/factories/contracts/referee/RefereeOneStep__factory";
import { HINTS, type HintFormat, type RevertArgs } from "./hints";

/**
 * The ABIs searched, by contract name, most specific first: the name reported for an error two
 * contracts declare alike is the first that declares it, unless the caller names the contract
 * the call went to (`DecodeOptions.contract`).
 */
export const PROTOCOL_ABIS: Readonly<Record<string, InterfaceAbi>> = {
  JobRegistry: JobRegistry__factory.abi,
  ModelRegistry: ModelRegistry__factory.abi,
  StakeManager: StakeManager__factory.abi,
  DisputeManager: DisputeManager__factory.abi,
  QuorumManager: QuorumManager__factory.abi,
  PaymentVault: PaymentVault__factory.abi,
  GlassboxToken: GlassboxToken__factory.abi,
  JobParams: JobParams__factory.abi,
  JobSettlement: JobSettlement__factory.abi,
  TensorCodec: TensorCodec__factory.abi,
  SumTree: SumTree__factory.abi,
  Requantize: Requantize__factory.abi,
  TraceMerkle: TraceMerkle__factory.abi,
  TraceBinding: TraceBinding__factory.abi,
  OneStepOps: OneStepOps__factory.abi,
  RefereeGame: RefereeGame__factory.abi,
  RefereeOneStep: RefereeOneStep__factory.abi,
  RefereeResolver: RefereeResolver__factory.abi,
  BlockHeader: BlockHeader__factory.abi,
  BlockHashRandomness: BlockHashRandomness__factory.abi,
  PrevrandaoHeaderRandomness: PrevrandaoHeaderRandomness__factory.abi,
  VrfRandomnessAdapter: VrfRandomnessAdapter__factory.abi,
  InferenceConsumer: InferenceConsumer__factory.abi,
  GlassboxTimelock: GlassboxTimelock__factory.abi,
};

const INTERFACES: readonly (readonly [string, Interface])[] = Object.entries(PROTOCOL_ABIS).map(([name, abi]) => [name, new Interface(abi)] as const);

/** A decoded revert. */
export interface DecodedRevert {
  /** The error's name, e.g. "InlineTooLarge" ("Error" and "Panic" for the built-in ones). */
  name: string;
  /** Its arguments by parameter name (`arg<i>` for an unnamed one), in declaration order. */
  args: RevertArgs;
  /** The protocol contract that declares it (the one the call went to, when given and it does). */
  contract: string;
  /** `Name(arg=value, ...)`. */
  text: string;
  /** What to do next, when the error has a hint. */
  hint?: string;
  /** One line for a person: `text: hint`, or `text` alone. */
  message: string;
}

export interface DecodeOptions {
  /** The contract the call went to, by name (a key of PROTOCOL_ABIS), to attribute shared errors. */
  contract?: string;
  /** Decimals of the token amounts in the hints (GLASS: 18). */
  decimals?: number;
}

/** The revert in `err` decoded, or undefined when it carries no protocol (or built-in) error. */
export function decodeRevert(err: unknown, options: DecodeOptions = {}): DecodedRevert | undefined {
  for (const data of revertDataOf(err)) {
    const decoded = decodeRevertData(data, options);
    if (decoded) return decoded;
  }
  return fromHardhatMessage(err, options);
}

/** Revert data (`0x` + selector + arguments) decoded, or undefined when no protocol ABI declares it. */
export function decodeRevertData(data: string, options: DecodeOptions = {}): DecodedRevert | undefined {
  for (const [contract, iface] of ordered(options.contract)) {
    let parsed;
    try {
      parsed = iface.parseError(data);
    } catch {
      continue; // the selector matched but the arguments do not decode: not this error
    }
    if (parsed) return describe(parsed.fragment, parsed.args, declaring(parsed.fragment, contract, options.contract), options);
  }
  return undefined;
}

/** Every revert-data string found in `err`, outermost first (a bounded walk of the usual fields). */
export function revertDataOf(err: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, depth: number): void => {
    if (depth > 6 || typeof value !== "object" || value === null) return;
    for (const key of ["data", "error", "info", "cause", "originalError", "errors"]) {
      const v = (value as Record<string, unknown>)[key];
      if (typeof v === "string" && /^0x[0-9a-fA-F]{8}(?:[0-9a-fA-F]{2})*$/.test(v)) found.push(v);
      else if (Array.isArray(v)) v.forEach((x) => walk(x, depth + 1));
      else walk(v, depth + 1);
    }
  };
  walk(err, 0);
  return found;
}

function ordered(first: string | undefined): readonly (readonly [string, Interface])[] {
  if (first === undefined) return INTERFACES;
  return [...INTERFACES.filter(([n]) => n === first), ...INTERFACES.filter(([n]) => n !== first)];
}

/** `preferred` when its ABI declares the error too (it is the one the call went to), else `found`. */
function declaring(fragment: ErrorFragment, found: string, preferred: string | undefined): string {
  if (preferred === undefined || preferred === found) return found;
  const iface = INTERFACES.find(([n]) => n === preferred)?.[1];
  return iface?.getError(fragment.selector) ? preferred : found;
}

function describe(fragment: ErrorFragment, values: Result | readonly unknown[], contract: string, options: DecodeOptions): DecodedRevert {
  const args: Record<string, unknown> = {};
  fragment.inputs.forEach((input, i) => {
    args[input.name === "" ? `arg${i}` : input.name] = values[i];
  });
  const text = `${fragment.name}(${Object.entries(args)
    .map(([k, v]) => `${k}=${render(v)}`)
    .join(", ")})`;
  const format: HintFormat = { decimals: options.decimals ?? 18 };
  const hintOf = HINTS[fragment.name];
  let hint: string | undefined;
  try {
    hint = hintOf?.(args, format, contract);
  } catch {
    hint = undefined; // arguments the hint cannot read (a fallback decode): the generic text stands
  }
  return { name: fragment.name, args, contract, text, hint, message: hint ? `${text}: ${hint}` : text };
}

function render(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "bigint" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return `[${v.map(render).join(", ")}]`;
  return JSON.stringify(v);
}

/**
 * Hardhat's in-process provider names a custom error only in its message; its arguments are read
 * back from that text against the fragment of that name.
 */
function fromHardhatMessage(err: unknown, options: DecodeOptions): DecodedRevert | undefined {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : "";
  const m = /reverted with custom error '([A-Za-z_][A-Za-z0-9_]*)\((.*)\)'/.exec(message);
  if (!m) return undefined;
  const [, name, rawArgs] = m;
  for (const [contract, iface] of ordered(options.contract)) {
    const fragment = iface.fragments.find((f): f is ErrorFragment => f instanceof ErrorFragment && f.name === name);
    if (!fragment) continue;
    const parts = rawArgs === "" ? [] : splitArgs(rawArgs);
    if (parts.length !== fragment.inputs.length) continue;
    const values = parts.map((p, i) => (/int/.test(fragment.inputs[i].type) && /^-?\d+$/.test(p) ? BigInt(p) : p.replace(/^"(.*)"$/, "$1")));
    return describe(fragment, values, declaring(fragment, contract, options.contract), options);
  }
  return undefined;
}

/** Splits `a, "b, c", d` at top-level commas. */
function splitArgs(raw: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of raw) {
    if (ch === '"') quoted = !quoted;
    if (ch === "," && !quoted) {
      out.push(cur.trim());
      cur = "";
    } else cur += ch;
  }
  out.push(cur.trim());
  return out;
}
