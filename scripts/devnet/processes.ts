/**
 * The devnet's child processes: each runs in a process group of its own (so that stopping it also
 * stops whatever it started: `npx` wrappers, ts-node, Hardhat's node), writes its output to a log
 * file, and is stopped with SIGTERM, then SIGKILL after a grace period. `ProcessGroup.stopAll` runs
 * on normal exit, on Ctrl-C and on SIGTERM, so the devnet leaves no orphan behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";

export interface Started {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<number | string>;
}

export interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
}

/** How long a process may take to stop after SIGTERM before it is killed. */
export const STOP_GRACE_MS = 5_000;

export class ProcessGroup {
  private readonly started = new Map<string, Started>();

  /** Spawns `spec` in a new process group, its stdout and stderr appended to `spec.logFile`. */
  spawn(spec: SpawnSpec): Started {
    if (this.started.has(spec.name)) throw new Error(`a process named ${spec.name} is already running`);
    const out = fs.openSync(spec.logFile, "a");
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", out, out],
      detached: true, // its own process group: `kill(-pid)` reaches its children too
    });
    fs.closeSync(out);
    const exited = new Promise<number | string>((resolve) => {
      child.once("exit", (code, signal) => {
        this.started.delete(spec.name);
        resolve(code ?? signal ?? "unknown");
      });
      child.once("error", (err) => {
        this.started.delete(spec.name);
        resolve(`spawn failed: ${err.message}`);
      });
    });
    const entry: Started = { name: spec.name, child, logFile: spec.logFile, exited };
    this.started.set(spec.name, entry);
    return entry;
  }

  /** The running process `name`, if any. */
  get(name: string): Started | undefined {
    return this.started.get(name);
  }

  /** Names of the processes still running. */
  running(): string[] {
    return [...this.started.keys()];
  }

  /** Sends `signal` to the whole process group of `name`; SIGKILL is the crash of a chaos test. */
  signal(name: string, signal: NodeJS.Signals): void {
    const entry = this.started.get(name);
    if (entry?.child.pid !== undefined) killGroup(entry.child.pid, signal);
  }

  /** Stops `name`: SIGTERM to its group, SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(name: string, graceMs = STOP_GRACE_MS): Promise<void> {
    const entry = this.started.get(name);
    if (!entry || entry.child.pid === undefined) return;
    const pid = entry.child.pid;
    killGroup(pid, "SIGTERM");
    const timer = setTimeout(() => killGroup(pid, "SIGKILL"), graceMs);
    await entry.exited;
    clearTimeout(timer);
    // The leader is gone; make sure nothing it started lingers in its group.
    killGroup(pid, "SIGKILL");
  }

  /** Stops every process, the most recently started first (nodes before the chain they use). */
  async stopAll(graceMs = STOP_GRACE_MS): Promise<void> {
    const names = this.running().reverse();
    await Promise.all(names.map((name) => this.stop(name, graceMs)));
  }

  /**
   * Stops everything on SIGINT/SIGTERM of this process (and kills what is left if it exits some
   * other way), then calls `onSignal` (default: exit 130); `before` runs first (the devnet stops its
   * clock there). Returns the function that removes the hooks.
   */
  stopOnExit(onSignal: () => void = () => process.exit(130), before: () => Promise<void> = async () => undefined): () => void {
    let stopping = false;
    const onTerm = () => {
      if (stopping) return;
      stopping = true;
      void before()
        .catch(() => undefined)
        .then(() => this.stopAll())
        .finally(onSignal);
    };
    const onExit = () => {
      for (const entry of this.started.values()) if (entry.child.pid !== undefined) killGroup(entry.child.pid, "SIGKILL");
    };
    process.on("SIGINT", onTerm);
    process.on("SIGTERM", onTerm);
    process.on("exit", onExit);
    return () => {
      process.off("SIGINT", onTerm);
      process.off("SIGTERM", onTerm);
      process.off("exit", onExit);
    };
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}
