/**
 * The CLI's own failure type: a problem the user can fix, whose message is the one line printed.
 * Its own module so that the command modules and cli.ts share it without importing each other.
 */
export class CliError extends Error {
  /** The process exit code for this failure (1 unless a command documents another). */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}
