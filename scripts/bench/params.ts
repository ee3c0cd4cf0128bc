/**
 * The shipped deployment parameters (deploy/params/*.json) in the units the bench reasons in
 * (GLASS as a float), and the per-model and per-node settings that the parameter files do not
 * carry: the audit rate (a model policy; the devnet registers its models at 10%) and the verifier's
 * watch share (a node option, default 0.1).
 */
import fs from "node:fs";
import path from "node:path";
import { OPTIONS } from "../../verifier/src/config";
import { ROOT } from "./common";

export interface ShippedParams {
  network: string;
  committeeSize: number;
  quorumSize: number;
  /** The least collateral slashed from an executor whose result a committee finds Invalid (collateral.minimum; fees above minimum / multiple lock more). */
  executorCollateralGlass: number;
  minFeeGlass: number;
  challengeBondGlass: number;
}

/** Audit rate of the devnet's models (scripts/devnet/setup.ts registerModels default, 1000 bps). */
export const AUDIT_RATE = 0.1;
/** Share of other nodes' OPTIMISTIC results a verifier re-runs unasked (the node's default). */
export const WATCH_SHARE = OPTIONS.watchShare.default;
/** Verifiers watching in the devnet (scripts/devnet/setup.ts NODES). */
export const WATCHING_VERIFIERS = 3;

/** "50e18" or "1000000000000000000" -> GLASS. */
function glass(raw: string | number): number {
  return Number(raw) / 1e18;
}

interface ParamsFile {
  collateral: { minimum: string };
  jobs: { quorumSize: number; minFee: string };
  disputes: { committeeSize: number; challengeBond: string };
}

export function shippedParams(): ShippedParams[] {
  const dir = path.join(ROOT, "deploy", "params");
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const p = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as ParamsFile;
      return {
        network: f.replace(/\.json$/, ""),
        committeeSize: p.disputes.committeeSize,
        quorumSize: p.jobs.quorumSize,
        executorCollateralGlass: glass(p.collateral.minimum),
        minFeeGlass: glass(p.jobs.minFee),
        challengeBondGlass: glass(p.disputes.challengeBond),
      };
    });
}
