/**
 * The shipped deployment parameters (deploy/params/*.json, read and checked by deploy/params.ts
 * loadParams), and the per-model and per-node settings that the parameter files do not carry: the
 * audit rate of the devnet's models (a model policy; the devnet registers its models at 10%, inside
 * the 5%-20% band ModelRegistry enforces) and the verifier's watch share (a node option, default 0.1).
 */
import fs from "node:fs";
import path from "node:path";
import { formatEther } from "ethers";
import { loadParams, PARAMS_DIR, type NetworkParams } from "../../deploy/params";
import { OPTIONS } from "../../packages/node/src";

export interface ShippedParams {
  network: string;
  committeeSize: number;
  quorumSize: number;
  /** The whole file, as loadParams returns it (amounts in wei). */
  params: NetworkParams;
}

/** Audit rate of the devnet's models (scripts/devnet/setup.ts registerModels default, 1000 bps). */
export const AUDIT_RATE = 0.1;
/** Share of other nodes' OPTIMISTIC results a verifier re-runs unasked (the node's default). */
export const WATCH_SHARE = OPTIONS.watchShare.default;
/** Verifiers watching in the devnet (scripts/devnet/setup.ts NODES). */
export const WATCHING_VERIFIERS = 3;

/** Wei -> GLASS as a float (for tables; exact sums stay in bigint). */
export function glass(wei: bigint): number {
  return Number(formatEther(wei));
}

export function shippedParams(): ShippedParams[] {
  return fs
    .readdirSync(PARAMS_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const network = f.replace(/\.json$/, "");
      // Testnet files leave `token` unset on purpose (loadParams refuses them for their own network
      // until it is set); read as "hardhat", as test/property/economics.ts does, they load with
      // every other check applied, and nothing here depends on the token.
      const params = loadParams("hardhat", path.join(PARAMS_DIR, f));
      return { network, committeeSize: params.disputes.committeeSize, quorumSize: params.jobs.quorumSize, params };
    });
}
