/**
 * The devnet's content store: a process serving PUT and GET of bytes under their keccak256 on
 * 127.0.0.1 (packages/node/src/content/server.ts), where `glassbox job request` publishes inputs too
 * large to go inline. Its URL is written to the deployment file as `contentStore`, which is where
 * the CLI looks for it; the devnet's nodes run with --allow-private-uris, so they fetch from it.
 */
import path from "node:path";
import { recordContentStore } from "../../packages/node/src";
import { waitHealthy } from "./nodes";
import type { ProcessGroup, Started } from "./processes";

export interface ContentStoreLaunch {
  root: string;
  /** The store keeps its bytes in `<stateDir>/content` and logs to `<stateDir>/content-store.log`. */
  stateDir: string;
  port: number;
  /** The deployment file that gets `contentStore`. */
  deploymentFile: string;
}

/** Spawns the store, waits until it answers /healthz, records its URL in the deployment file; returns the URL. */
export async function startContentStore(group: ProcessGroup, launch: ContentStoreLaunch): Promise<{ url: string; process: Started }> {
  const started = group.spawn({
    name: "content-store",
    command: process.execPath,
    args: [
      "-r",
      require.resolve("ts-node/register/transpile-only"),
      path.join(launch.root, "scripts", "devnet", "contentStoreProcess.ts"),
      "--dir",
      path.join(launch.stateDir, "content"),
      "--port",
      String(launch.port),
    ],
    cwd: launch.root,
    logFile: path.join(launch.stateDir, "content-store.log"),
  });
  await waitHealthy(started, launch.port, 60_000);
  const url = `http://127.0.0.1:${launch.port}`;
  recordContentStore(launch.deploymentFile, url);
  return { url, process: started };
}
