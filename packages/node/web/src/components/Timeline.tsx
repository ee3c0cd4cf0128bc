/** A job's timeline: every step with its block, time and transaction, in words per kind. */
import type { ComponentChildren } from "preact";
import type { TimelineStep } from "../api";
import { duration, when } from "../format";
import { Address, Badge, DisputeLink, Glass, Hash, Tx } from "./links";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const AMOUNT_KEYS = new Set(["amount", "penalty", "slashed", "fee", "executor", "verifiers", "modelOwner", "treasury", "pot", "reward"]);
/** Fields shown in a step's sentence, not again in its details. */
const IN_SENTENCE = new Set(["jobId", "disputeId"]);

function str(v: unknown): string {
  return v === undefined || v === null ? "" : String(v);
}

function value(key: string, v: unknown): ComponentChildren {
  if (Array.isArray(v)) return <span class="list">{v.map((x, i) => <span key={i}>{value(key, x)}</span>)}</span>;
  if (typeof v === "string" && ADDRESS.test(v)) return <Address address={v} />;
  if (typeof v === "string" && HASH.test(v)) return <Hash value={v} />;
  if (AMOUNT_KEYS.has(key) && (typeof v === "string" || typeof v === "number") && /^\d+$/.test(String(v))) return <Glass wei={String(v)} />;
  if (/End$|Until$|deadline/.test(key) && typeof v === "number" && v > 1e9) return when(v);
  if (typeof v === "object" && v !== null) return <span class="mono">{JSON.stringify(v)}</span>;
  return <span>{str(v)}</span>;
}

function sentence(step: TimelineStep): ComponentChildren {
  const d = step.detail;
  const addr = (k: string) => <Address address={str(d[k])} />;
  const dispute = d.disputeId !== undefined ? <DisputeLink id={str(d.disputeId)} /> : null;
  switch (step.kind) {
    case "requested":
      return <>Requested{d.requester ? <> by {addr("requester")}</> : null}{d.fee ? <> for <Glass wei={str(d.fee)} /></> : null}</>;
    case "drawArmed":
      return <>Executor draw armed for block {str(d.drawTarget)}</>;
    case "assigned":
      return <>Assigned{d.attempt !== undefined ? <> (attempt {str(d.attempt)})</> : null} to {value("executors", d.executors)}</>;
    case "seatForfeited":
      return <>{addr("executor")} forfeited its seat, paying <Glass wei={str(d.penalty)} /></>;
    case "unassigned":
      return <>The draw assigned nobody</>;
    case "timedOut":
      return <>{addr("executor")} missed its deadline and was slashed <Glass wei={str(d.slashed)} /></>;
    case "resultPosted":
      return <>{addr("executor")} posted output <Hash value={str(d.outputHash)} /></>;
    case "disputed":
      return <>The result went to its resolver</>;
    case "challenged":
      return d.audit ? <>Random audit opened: {dispute}</> : <>{addr("challenger")} challenged the result: {dispute}</>;
    case "committeeDrawn":
      return <>Committee of {Array.isArray(d.members) ? d.members.length : "?"} drawn for {dispute}</>;
    case "committeeDrawRearmed":
      return <>Committee draw for {dispute} re-armed at block {str(d.drawTarget)}</>;
    case "voteCommitted":
      return <>{addr("voter")} committed a vote on {dispute}</>;
    case "voteRevealed":
      return <>{addr("voter")} revealed <Badge value={str(d.verdict)} /> on {dispute}</>;
    case "disputeResolved":
      return <>{dispute} resolved <Badge value={str(d.verdict)} /></>;
    case "disputeSettled":
      return <>The hub settled the dispute: <Badge value={str(d.verdict)} /></>;
    case "resolverLapsed":
      return <>Resolver {addr("resolver")} did not answer in time</>;
    case "collateralSlashed":
      return <>{addr("executor")}'s collateral was slashed: <Glass wei={str(d.amount)} /></>;
    case "slashed":
      return <>{addr("node")} was slashed <Glass wei={str(d.amount)} />{d.recipient ? <> to {addr("recipient")}</> : null}</>;
    case "quorumOpened":
      return <>Quorum of {Array.isArray(d.members) ? d.members.length : "?"} opened</>;
    case "quorumCommitted":
      return <>{addr("executor")} committed its output</>;
    case "quorumRevealStarted":
      return <>Every seat committed: reveals open</>;
    case "quorumRevealed":
      return <>{addr("executor")} revealed <Hash value={str(d.outputHash)} /></>;
    case "quorumTallied":
      return d.winner ? <>Quorum tallied: <Hash value={str(d.winner)} /> with {str(d.votes)} votes</> : <>Quorum tallied: no majority</>;
    case "finalized":
      return <>Finalized with output <Hash value={str(d.outputHash)} /></>;
    case "refunded":
      return <>Refunded ({str(d.reason)}): <Glass wei={str(d.amount)} /> back to the requester</>;
    case "feePaid":
      return <>Fee paid out</>;
    case "credited":
      return <>{addr("account")} credited <Glass wei={str(d.amount)} />{d.as ? <> as {str(d.as)}</> : null}</>;
    case "callback":
      return <>Callback {d.success === false ? "reverted" : "executed"}</>;
    default:
      return <>{step.kind}</>;
  }
}

export function Timeline({ steps, start }: { steps: readonly TimelineStep[]; start?: number }) {
  if (steps.length === 0) return <p class="muted">No events yet.</p>;
  return (
    <ol class="timeline" data-testid="timeline">
      {steps.map((s) => {
        const rest = Object.entries(s.detail).filter(([k]) => !IN_SENTENCE.has(k));
        return (
          <li key={`${s.txHash}:${s.logIndex}:${s.kind}`} data-testid="timeline-step" data-kind={s.kind} class={`step step-${s.kind}`}>
            <div class="step-when">
              <div>block {s.block}</div>
              <div class="muted">{when(s.time)}</div>
              {start !== undefined && s.time >= start ? <div class="muted">+{duration(s.time - start)}</div> : null}
            </div>
            <div class="step-what">
              <div class="step-title">
                <span class="kind">{s.kind}</span> {sentence(s)}
              </div>
              {rest.length > 0 ? (
                <details>
                  <summary>details</summary>
                  <dl class="facts small">
                    {rest.map(([k, v]) => (
                      <div key={k}>
                        <dt>{k}</dt>
                        <dd>{value(k, v)}</dd>
                      </div>
                    ))}
                  </dl>
                </details>
              ) : null}
              <div class="muted small">
                tx <Tx hash={s.txHash} />
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}
