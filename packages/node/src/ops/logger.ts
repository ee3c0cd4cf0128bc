/**
 * The node's structured logger: pino, one JSON object per line on stdout (or any destination), so
 * that a log shipper can index `at`, `jobId` and `err` without parsing text. A pino Logger already
 * satisfies NodeLogger (below); the factory only fixes the options the node relies on.
 */
import pino, { type DestinationStream, type Logger } from "pino";

/** One structured log line: `at` names the place (`"Executor.submit"`), the rest are fields. */
export interface LogLine {
  at: string;
  [field: string]: unknown;
}

/** The subset of a pino logger the node uses; a pino `Logger` satisfies it. */
export interface NodeLogger {
  debug(line: LogLine, msg: string): void;
  info(line: LogLine, msg: string): void;
  warn(line: LogLine, msg: string): void;
  error(line: LogLine, msg: string): void;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  /** Lowest level written. Default "info". */
  level?: string;
  /** Fields added to every line, e.g. `{ node: "0xabc..." }`. */
  base?: Record<string, unknown>;
  /** Where lines go. Default: stdout (pino's synchronous-enough default destination). */
  destination?: DestinationStream;
}

/** Throws a RangeError naming the option when `level` is not a pino level, so a bad config fails at start-up. */
export function parseLogLevel(level: string): LogLevel {
  const found = LOG_LEVELS.find((l) => l === level);
  if (!found) throw new RangeError(`logLevel: "${level}" is not one of ${LOG_LEVELS.join(", ")}`);
  return found;
}

/** A pino logger for the node: JSON lines, ISO timestamps, the level as a name ("info"), errors serialized. */
export function createLogger(options: LoggerOptions = {}): Logger & NodeLogger {
  const config: pino.LoggerOptions = {
    level: parseLogLevel(options.level ?? "info"),
    base: { ...options.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The level as its name: "level":"warn" reads better in a shipper than "level":40.
    formatters: { level: (label) => ({ level: label }) },
    // bigint fields (jobId, disputeId) need nothing: pino's serializer writes them as JSON numbers.
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
