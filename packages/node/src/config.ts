/**
 * The node's configuration, parsed once into a typed, validated `GlassboxConfig`.
 *
 *   const config = loadConfig({ file: "glassbox.json", env: process.env, flags: { rpc: "http://..." } });
 *
 * Every option is described in `OPTIONS` (its description, default, environment variable and
 * flag); the table is the single source of the `--help` text and of the docs. Precedence, highest
 * first: flags, environment (`GLASSBOX_<NAME>`), the JSON file, the defaults. A bad value throws
 * `ConfigError` naming the option, where the value came from, and what is allowed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_NODE_MAX_INPUT_BYTES, MAX_INLINE_OUTPUT_BYTES } from "./limits";
import { DEFAULT_INLINE_OUTPUT_BYTES } from "./store/outputs";

export type RoleSetting = "executor" | "verifier" | "both";
export const ROLE_SETTINGS: readonly RoleSetting[] = ["executor", "verifier", "both"];
export const LOG_LEVEL_SETTINGS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevelSetting = (typeof LOG_LEVEL_SETTINGS)[number];

export interface GlassboxConfig {
  rpc: string;
  key: string;
  keystore: string | undefined;
  deployment: string;
  roles: RoleSetting;
  models: number[] | undefined;
  dataDir: string;
  confirmations: number;
  pollIntervalMs: number;
  maxLogRange: number;
  ipfsGateway: string;
  maxModelBytes: number;
  maxInputBytes: number;
  allowFileInputs: boolean;
  allowPrivateUris: boolean;
  outputBaseUrl: string | undefined;
  inlineOutputBytes: number;
  metricsPort: number;
  watchShare: number;
  feeBumpPercent: number;
  replaceAfterMs: number;
  maxTxAttempts: number;
  logLevel: LogLevelSetting;
}

export type OptionName = keyof GlassboxConfig;

/** A raw value as it arrives: a string from a flag or the environment, any JSON value from the file. */
export type RawValue = string | number | boolean | null | undefined | object;

export interface OptionSpec<T> {
  description: string;
  /** Shown in --help; `undefined` means "not set". */
  default: T;
  /** Parses and validates a raw value; throws a plain message saying what is allowed. */
  parse(raw: RawValue): T;
}

export type OptionTable = { [K in OptionName]: OptionSpec<GlassboxConfig[K]> };

/** Thrown for a bad option: `option` names it, the message says where it came from and what is allowed. */
export class ConfigError extends Error {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

/** The environment variable of an option: `maxLogRange` -> `GLASSBOX_MAX_LOG_RANGE`. */
export function envName(option: string): string {
  return `GLASSBOX_${option.replace(/([A-Z])/g, "_$1").toUpperCase()}`;
}

/** The flag of an option: `maxLogRange` -> `--max-log-range`. */
export function flagName(option: string): string {
  return `--${option.replace(/([A-Z])/g, "-$1").toLowerCase()}`;
}

export const DEFAULT_RPC = "http://127.0.0.1:8545";
export const DEFAULT_KEY_VAR = "GLASSBOX_PRIVATE_KEY";
export const DEFAULT_DEPLOYMENT = path.join("deployments", "localhost.json");
export const DEFAULT_DATA_DIR = path.join("~", ".glassbox");

export const OPTIONS: OptionTable = {
  rpc: {
    description: "JSON-RPC endpoint of the chain (an http or https URL)",
    default: DEFAULT_RPC,
    parse: (raw) => url(raw, ["http:", "https:"]),
  },
  key: {
    description: `NAME of the environment variable that holds the private key (never the key itself)`,
    default: DEFAULT_KEY_VAR,
    parse: envVarName,
  },
  keystore: {
    description: "encrypted JSON keystore file (ethers/geth format); its password comes from GLASSBOX_KEYSTORE_PASSWORD",
    default: undefined,
    parse: (raw) => nonEmpty(raw),
  },
  deployment: {
    description: "deployment file with the chain id, deployment block and contract addresses",
    default: DEFAULT_DEPLOYMENT,
    parse: (raw) => nonEmpty(raw),
  },
  roles: {
    description: `roles the node plays: ${ROLE_SETTINGS.join(", ")}`,
    default: "both",
    parse: (raw) => oneOf(raw, ROLE_SETTINGS),
  },
  models: {
    description:
      "ids of the models this executor serves, comma separated (e.g. 1,3): at start the node warns for each it is not opted in to (glassbox node opt-in --model <id>); an executor is drawn for the models it opted in to, and serves whatever it is drawn for. Unset: the node only warns when it is opted in to no model",
    default: undefined,
    parse: (raw) => modelIds(raw),
  },
  dataDir: {
    description: "directory of the node's SQLite state and model cache (~ is the home directory)",
    default: DEFAULT_DATA_DIR,
    parse: (raw) => nonEmpty(raw),
  },
  confirmations: {
    description: "blocks to wait behind the chain head before handling a block's events",
    default: 2,
    parse: (raw) => integer(raw, 0, 1_000),
  },
  pollIntervalMs: {
    description: "pause between polls of the chain when caught up, in milliseconds",
    default: 2_000,
    parse: (raw) => integer(raw, 10, 3_600_000),
  },
  maxLogRange: {
    description: "largest block range asked of one eth_getLogs call",
    default: 2_000,
    parse: (raw) => integer(raw, 1, 1_000_000),
  },
  ipfsGateway: {
    description: "HTTP gateway for ipfs:// model and input URIs",
    default: "http://127.0.0.1:8080/ipfs/",
    parse: (raw) => url(raw, ["http:", "https:"]),
  },
  maxModelBytes: {
    description: "largest model file the node fetches, in bytes",
    default: 256 * 1024 * 1024,
    parse: (raw) => integer(raw, 1, Number.MAX_SAFE_INTEGER),
  },
  maxInputBytes: {
    description: "largest by-reference job input the node fetches, in bytes (a larger one is claimed inputTooLarge); a model's own maxInputBytes applies too",
    default: DEFAULT_NODE_MAX_INPUT_BYTES,
    parse: (raw) => integer(raw, 1, Number.MAX_SAFE_INTEGER),
  },
  allowFileInputs: {
    description: "read by-reference job inputs from file:// URIs (a requester could probe this machine's files: tests and devnets only)",
    default: false,
    parse: (raw) => boolean(raw),
  },
  allowPrivateUris: {
    description:
      "fetch http(s) job inputs and by-reference outputs from loopback, private and link-local addresses (a requester or executor could make the node probe its own network: tests and devnets only)",
    default: false,
    parse: (raw) => boolean(raw),
  },
  outputBaseUrl: {
    description:
      "http(s) URL prefix where others fetch this executor's by-reference outputs: the ops endpoint's /outputs/ behind your proxy (e.g. https://node.example/outputs), or any host serving <dataDir>/outputs; unset: outputs above 12 KiB cannot be posted",
    default: undefined,
    parse: (raw) => url(raw, ["http:", "https:"]),
  },
  inlineOutputBytes: {
    description: "largest output posted inline; a larger one is published under outputBaseUrl and posted by reference (at most 12288, the contract's limit)",
    default: DEFAULT_INLINE_OUTPUT_BYTES,
    parse: (raw) => integer(raw, 1, MAX_INLINE_OUTPUT_BYTES),
  },
  metricsPort: {
    description: "port of the /healthz, /metrics and /outputs/ HTTP endpoint (0 turns it off)",
    default: 9464,
    parse: (raw) => integer(raw, 0, 65_535),
  },
  watchShare: {
    description: "share of other nodes' OPTIMISTIC results the verifier re-runs unasked, from 0 to 1",
    default: 0.1,
    parse: (raw) => fraction(raw),
  },
  feeBumpPercent: {
    description: "fee increase of a replacement transaction, in percent (at least 10, what nodes require)",
    default: 12.5,
    parse: (raw) => decimal(raw, 10, 1_000),
  },
  replaceAfterMs: {
    description: "time a transaction may stay unmined before it is replaced, in milliseconds",
    default: 30_000,
    parse: (raw) => integer(raw, 100, 3_600_000),
  },
  maxTxAttempts: {
    description: "most transactions sent for one nonce (the first plus its replacements)",
    default: 5,
    parse: (raw) => integer(raw, 1, 100),
  },
  logLevel: {
    description: `log level: ${LOG_LEVEL_SETTINGS.join(", ")}`,
    default: "info",
    parse: (raw) => oneOf(raw, LOG_LEVEL_SETTINGS),
  },
};

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

export interface ConfigSources {
  /** A JSON file of options (camelCase keys as in OPTIONS); a missing or malformed file is a ConfigError. */
  file?: string;
  env: Record<string, string | undefined>;
  /** Options from the command line, by option name; `undefined` means not given. */
  flags: Partial<Record<OptionName, string | undefined>>;
}

/** Reads every source once and returns the validated configuration. */
export function loadConfig(sources: ConfigSources): GlassboxConfig {
  const fromFile = sources.file === undefined ? {} : readConfigFile(sources.file);
  const out: Record<string, unknown> = {};
  for (const name of OPTION_NAMES) {
    const spec: OptionSpec<unknown> = OPTIONS[name];
    const flag = sources.flags[name];
    const env = sources.env[envName(name)];
    const [raw, origin] =
      flag !== undefined
        ? [flag, `flag ${flagName(name)}`]
        : env !== undefined && env !== ""
          ? [env, `environment variable ${envName(name)}`]
          : name in fromFile
            ? [fromFile[name], `config file ${sources.file}`]
            : [undefined, "default"];
    if (origin === "default") {
      out[name] = spec.default;
      continue;
    }
    try {
      out[name] = spec.parse(raw as RawValue);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new ConfigError(name, `bad ${name} (${origin}): ${why}`);
    }
  }
  const config = out as unknown as GlassboxConfig;
  return { ...config, dataDir: expandHome(config.dataDir) };
}

function readConfigFile(file: string): Record<string, RawValue> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError("config", `cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError("config", `config file ${file} is not JSON: ${(err as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError("config", `config file ${file} must hold a JSON object`);
  for (const key of Object.keys(json)) {
    if (!(OPTION_NAMES as string[]).includes(key)) {
      throw new ConfigError(key, `unknown option "${key}" in config file ${file}; known options: ${OPTION_NAMES.join(", ")}`);
    }
  }
  return json as Record<string, RawValue>;
}

/** `~` or `~/x` -> the home directory; relative paths stay relative to the working directory. */
export function expandHome(p: string): string {
  if (p === "~") return os.homedir();
  if (p.startsWith("~/") || p.startsWith(`~${path.sep}`)) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** The --help text: one block per option, with its flag, environment variable and default. */
export function describeOptions(): string {
  return OPTION_NAMES.map((name) => {
    const spec = OPTIONS[name];
    const def = spec.default === undefined ? "not set" : String(spec.default);
    return `  ${flagName(name)} (${envName(name)}, default ${def})\n      ${spec.description}`;
  }).join("\n");
}

// ---- parsers: each returns the value or throws a message saying what is allowed ----

function text(raw: RawValue): string {
  if (typeof raw === "string") return raw.trim();
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  throw new Error(`expected a string, got ${JSON.stringify(raw)}`);
}

function nonEmpty(raw: RawValue): string {
  const s = text(raw);
  if (s.length === 0) throw new Error("must not be empty");
  return s;
}

function url(raw: RawValue, protocols: string[]): string {
  const s = nonEmpty(raw);
  let parsed: URL;
  try {
    parsed = new URL(s);
  } catch {
    throw new Error(`"${s}" is not a URL; allowed: a ${protocols.map((p) => p.slice(0, -1)).join("/")} URL`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`"${s}" uses ${parsed.protocol}; allowed: ${protocols.join(", ")}`);
  return s;
}

function numberOf(raw: RawValue): number {
  const s = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  if (!Number.isFinite(s)) throw new Error(`${JSON.stringify(raw)} is not a number`);
  return s;
}

function integer(raw: RawValue, min: number, max: number): number {
  let n: number;
  try {
    n = numberOf(raw);
  } catch {
    throw new Error(`${JSON.stringify(raw)} is not a number; allowed: an integer from ${min} to ${max}`);
  }
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${n} is out of range; allowed: an integer from ${min} to ${max}`);
  return n;
}

function decimal(raw: RawValue, min: number, max: number): number {
  let n: number;
  try {
    n = numberOf(raw);
  } catch {
    throw new Error(`${JSON.stringify(raw)} is not a number; allowed: a number from ${min} to ${max}`);
  }
  if (n < min || n > max) throw new Error(`${n} is out of range; allowed: a number from ${min} to ${max}`);
  return n;
}

function boolean(raw: RawValue): boolean {
  if (typeof raw === "boolean") return raw;
  const s = typeof raw === "string" ? raw.trim().toLowerCase() : undefined;
  if (s === "true" || s === "1" || s === "yes") return true;
  if (s === "false" || s === "0" || s === "no") return false;
  throw new Error(`${JSON.stringify(raw)} is not allowed; allowed: true or false`);
}

function fraction(raw: RawValue): number {
  return decimal(raw, 0, 1);
}

function oneOf<T extends string>(raw: RawValue, allowed: readonly T[]): T {
  const s = text(raw);
  if (!(allowed as readonly string[]).includes(s)) throw new Error(`"${s}" is not allowed; allowed: ${allowed.join(", ")}`);
  return s as T;
}

/** Model ids: a comma separated string (flag, environment) or a JSON array (file); each a positive integer, none twice. */
function modelIds(raw: RawValue): number[] {
  const allowed = "allowed: model ids (positive integers), comma separated, e.g. 1,3";
  const items = Array.isArray(raw) ? raw : text(raw).split(",");
  const ids: number[] = [];
  for (const item of items) {
    const s = typeof item === "number" ? String(item) : typeof item === "string" ? item.trim() : JSON.stringify(item);
    const n = /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isSafeInteger(n) || n === 0) throw new Error(`${JSON.stringify(s)} is not a model id; ${allowed}`);
    if (ids.includes(n)) throw new Error(`model ${n} is listed twice; ${allowed}`);
    ids.push(n);
  }
  if (ids.length === 0) throw new Error(`no model id given; ${allowed}`);
  return ids;
}

function envVarName(raw: RawValue): string {
  const s = nonEmpty(raw);
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(s)) {
    throw new Error("this looks like a private key; pass the NAME of an environment variable that holds it, never the key itself");
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new Error(`"${s}" is not an environment variable name; allowed: letters, digits and _`);
  return s;
}
