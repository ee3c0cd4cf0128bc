/**
 * Starts the devnet's explorer as a process of its own, as a user would: `glassbox explorer` over
 * the devnet's chain and deployment file, its index under the state directory, and waits until its
 * API answers.
 */
import fs from "node:fs";
import path from "node:path";
import { waitAnswers } from "./nodes";
import type { ProcessGroup, Started } from "./processes";

export interface ExplorerLaunch {
  root: string;
  rpc: string;
  deploymentFile: string;
  stateDir: string;
  port: number;
}

export interface RunningExplorerProcess {
  url: string;
  process: Started;
}

/** The arguments of `glassbox explorer` on the devnet (also what a user would type). */
export function explorerArgs(launch: ExplorerLaunch): string[] {
  return [
    "explorer",
    "--rpc",
    launch.rpc,
    "--deployment",
    launch.deploymentFile,
    "--data-dir",
    path.join(launch.stateDir, "explorer"),
    // The devnet's chain never reorganises on its own: steps show as soon as they are mined.
    "--confirmations",
    "0",
    "--poll-interval-ms",
    "250",
    "--port",
    String(launch.port),
    // A devnet's models are files on this machine and its content store is on 127.0.0.1: relay them
    // (a public explorer must not: anyone can register a model naming any file or host).
    "--allow-file-uris",
    "--allow-private-uris",
    "true",
  ];
}

export async function startExplorerProcess(group: ProcessGroup, launch: ExplorerLaunch): Promise<RunningExplorerProcess> {
  fs.mkdirSync(path.join(launch.stateDir, "explorer"), { recursive: true });
  const started = group.spawn({
    name: "explorer",
    command: process.execPath,
    args: [path.join(launch.root, "scripts", "glassbox.js"), ...explorerArgs(launch)],
    env: {},
    cwd: launch.root,
    logFile: path.join(launch.stateDir, "explorer.log"),
  });
  const url = `http://127.0.0.1:${launch.port}`;
  await waitAnswers(started, `${url}/api/config`, 90_000, `did not answer on ${url}`);
  return { url, process: started };
}
