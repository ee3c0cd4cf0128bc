/**
 * The explorer as one running thing: the indexer following the chain into SQLite and the HTTP
 * server over it (API and pages). `glassbox explorer` and the devnet start it this way.
 *
 *   const explorer = await startExplorer({ provider, deployment, rpcUrl, dbFile, port: 9480 });
 *   console.log(explorer.url);
 *   await explorer.stop();
 */
import type { Provider } from "ethers";
import type { Deployment } from "../deployment";
import { apiContext, type RelayPolicy } from "./context";
import { createExplorerIndex, type ExplorerIndex } from "./runner";
import { DEFAULT_WEB_DIR, ExplorerServer } from "./server";
import type { ExplorerConfig } from "./types";

export interface ExplorerOptions extends RelayPolicy {
  provider: Provider;
  deployment: Deployment;
  /** The JSON-RPC URL pages read the chain through (must be reachable from the visitor's browser). */
  rpcUrl: string;
  /** The index's SQLite file (":memory:" keeps nothing across restarts). */
  dbFile: string;
  port: number;
  host?: string;
  /** Blocks the indexer stays behind the head (a step shows only once it has this many confirmations). */
  confirmations?: number;
  /** Largest block range of one getLogs call. */
  maxRange?: number;
  /** Time between polls once caught up, ms. */
  pollMs?: number;
  webDir?: string;
  onRequest?: ConstructorParameters<typeof ExplorerServer>[0]["onRequest"];
  /** A poll's failure (the indexer keeps polling). */
  onError?: (err: unknown) => void;
}

export interface RunningExplorer {
  url: string;
  index: ExplorerIndex;
  server: ExplorerServer;
  stop(): Promise<void>;
}

export const DEFAULT_EXPLORER_PORT = 9480;

export async function startExplorer(options: ExplorerOptions): Promise<RunningExplorer> {
  const confirmations = options.confirmations ?? 0;
  const index = createExplorerIndex({
    provider: options.provider,
    deployment: options.deployment,
    dbFile: options.dbFile,
    confirmations,
    maxRange: options.maxRange ?? 2000,
    pollMs: options.pollMs ?? 1000,
    onError: options.onError,
  });
  const config: ExplorerConfig = {
    chainId: options.deployment.chainId,
    rpcUrl: options.rpcUrl,
    contracts: { ...options.deployment.contracts },
    startBlock: options.deployment.deploymentBlock,
    confirmations,
  };
  const server = new ExplorerServer({
    api: apiContext(index.queries, options.provider, config, { allowFileUris: options.allowFileUris, allowPrivateUris: options.allowPrivateUris, ipfsGateway: options.ipfsGateway }),
    webDir: options.webDir ?? DEFAULT_WEB_DIR,
    port: options.port,
    host: options.host,
    onRequest: options.onRequest,
  });
  try {
    await server.start();
  } catch (err) {
    await index.stop(); // the port is taken, say: close the index it opened
    throw err;
  }
  index.start();
  return {
    url: server.url,
    index,
    server,
    async stop() {
      await server.stop();
      await index.stop();
    },
  };
}
