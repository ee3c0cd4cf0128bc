/**
 * `glassbox explorer`: indexes a deployment's logs into SQLite and serves the web explorer and its
 * JSON API until SIGINT/SIGTERM. The session (RPC, deployment, data dir) comes from the CLI.
 */
import fs from "node:fs";
import path from "node:path";
import type { Provider } from "ethers";
import { CliError } from "./cliError";
import type { Deployment } from "./deployment";
import { DEFAULT_EXPLORER_PORT, startExplorer } from "./explorer/run";

export interface ExplorerFlags {
  port?: string;
  host?: string;
  publicRpc?: string;
  db?: string;
  allowFileUris?: boolean;
}

export interface ExplorerSession {
  provider: Provider;
  deployment: Deployment;
  rpc: string;
  dataDir: string;
  confirmations: number;
  maxLogRange: number;
  pollIntervalMs: number;
  /** Relay URIs whose host is loopback, private or reserved (the config's allowPrivateUris). */
  allowPrivateUris: boolean;
  ipfsGateway: string;
}

/** The index's default file: one per chain and deployment, under the data dir. */
export function defaultExplorerDb(s: Pick<ExplorerSession, "deployment" | "dataDir">): string {
  return path.join(s.dataDir, `explorer-${s.deployment.chainId}-${s.deployment.contracts.jobRegistry.slice(2, 10).toLowerCase()}.sqlite`);
}

export async function runExplorer(s: ExplorerSession, flags: ExplorerFlags, out: (line: string) => void, signal: AbortSignal): Promise<void> {
  const port = flags.port === undefined ? DEFAULT_EXPLORER_PORT : Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port must be a port number from 0 to 65535, not "${flags.port}"`);
  const rpcUrl = flags.publicRpc ?? s.rpc;
  try {
    const protocol = new URL(rpcUrl).protocol;
    if (protocol !== "http:" && protocol !== "https:") throw new Error(protocol);
  } catch {
    throw new CliError(`--public-rpc must be an http(s) URL that visitors' browsers can reach, not "${rpcUrl}"`);
  }
  const dbFile = flags.db ?? defaultExplorerDb(s);
  if (dbFile !== ":memory:") fs.mkdirSync(path.dirname(path.resolve(dbFile)), { recursive: true });
  let explorer;
  try {
    explorer = await startExplorer({
      provider: s.provider,
      deployment: s.deployment,
      rpcUrl,
      dbFile,
      port,
      host: flags.host,
      confirmations: s.confirmations,
      maxRange: s.maxLogRange,
      pollMs: s.pollIntervalMs,
      allowFileUris: flags.allowFileUris === true,
      allowPrivateUris: s.allowPrivateUris,
      ipfsGateway: s.ipfsGateway,
      onError: (err) => out(`explorer: indexing failed (${err instanceof Error ? err.message : String(err)}); trying again`),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") throw new CliError(`port ${port} is taken: pass --port N (0 picks a free one)`);
    throw err;
  }
  out(`explorer ${explorer.url} (index ${dbFile}; pages read the chain at ${rpcUrl}); stop with Ctrl-C`);
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  await explorer.stop();
  out("explorer stopped");
}
