/**
 * Section 4, the cost of checking: the node bench's figures (scripts/node-bench.ts: the node's whole
 * check against raw onnxruntime, per model; it still writes reports/node-bench.json), and the
 * extra compute each verification mode buys, as expected executions of the model per job:
 *
 *   NONE:       1
 *   OPTIMISTIC: 1 + a * committeeSize + w * V   (the execution, the audit committee's re-runs at
 *               audit rate a, and V watching verifiers re-running a share w of results)
 *   QUORUM:     quorumSize
 *
 * with the shipped parameters (deploy/params/*.json: committee and quorum sizes), the devnet's
 * audit rate and the node's default watch share; times the measured per-model inference (check) time.
 */
import { runNodeBench, type Row } from "../node-bench";
import { AUDIT_RATE, shippedParams, WATCH_SHARE, WATCHING_VERIFIERS } from "./params";
import { round } from "./common";

export interface ModeCompute {
  mode: string;
  executionsPerJob: number;
  formula: string;
  /** Milliseconds of one thread per job for each benched model (executions x check time). */
  msPerJob: Record<string, number>;
}

export interface CheckingSection {
  nodeBench: Row[];
  auditRate: number;
  watchShare: number;
  watchingVerifiers: number;
  committeeSize: number;
  quorumSize: number;
  /** The shipped files disagree on neither size; listed for the record. */
  paramsChecked: string[];
  modes: ModeCompute[];
  optimisticVsQuorum: number;
}

export async function runChecking(quick: boolean): Promise<CheckingSection> {
  const { models } = await runNodeBench(quick);
  const params = shippedParams();
  const committee = Math.max(...params.map((p) => p.committeeSize));
  const quorum = Math.max(...params.map((p) => p.quorumSize));
  const optimistic = 1 + AUDIT_RATE * committee + WATCH_SHARE * WATCHING_VERIFIERS;
  const per = (n: number) => Object.fromEntries(models.map((m) => [m.name, round(n * m.checkMs, 3)]));
  return {
    nodeBench: models,
    auditRate: AUDIT_RATE,
    watchShare: WATCH_SHARE,
    watchingVerifiers: WATCHING_VERIFIERS,
    committeeSize: committee,
    quorumSize: quorum,
    paramsChecked: params.map((p) => `${p.network}: committee ${p.committeeSize}, quorum ${p.quorumSize}`),
    modes: [
      { mode: "NONE", executionsPerJob: 1, formula: "1", msPerJob: per(1) },
      {
        mode: "OPTIMISTIC",
        executionsPerJob: round(optimistic, 3),
        formula: `1 + ${AUDIT_RATE} x ${committee} + ${WATCH_SHARE} x ${WATCHING_VERIFIERS}`,
        msPerJob: per(optimistic),
      },
      { mode: "QUORUM", executionsPerJob: quorum, formula: `quorumSize = ${quorum}`, msPerJob: per(quorum) },
    ],
    optimisticVsQuorum: round(optimistic / quorum, 3),
  };
}
