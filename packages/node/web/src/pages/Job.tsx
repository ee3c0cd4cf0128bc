/** One job: its timeline, model, input and output, fee split and payouts, disputes, and a button to verify it in the browser. */
import { useState } from "preact/hooks";
import type { Verification } from "../../../src/sdk";
import { api, jobInputUrl, jobOutputUrl, messageOf, useApi, type JobDetail } from "../api";
import { Address, At, Badge, DisputeLink, ErrorBox, Facts, Glass, Hash, Loading, ModelLink, Section } from "../components/links";
import { Payouts, Slashes } from "../components/Money";
import { Table } from "../components/Table";
import { TensorPreview } from "../components/Tensors";
import { Timeline } from "../components/Timeline";
import { duration, num } from "../format";

export function Job({ id }: { id: string }) {
  const job = useApi((signal) => api.job(id, signal), `job:${id}`, 5000);
  if (job.error && !job.data) return <Page id={id}><ErrorBox message={job.error} /></Page>;
  if (!job.data) return <Page id={id}><Loading what={`job ${id}`} /></Page>;
  const j = job.data;
  return (
    <Page id={id} status={j.status}>
      {job.error ? <ErrorBox message={`Could not refresh: ${job.error}`} /> : null}
      <Section title="Summary" testid="job-summary">
        <Facts
          rows={[
            ["Status", <Badge value={j.status} testid="job-status" />],
            ["Mode", <span data-testid="job-mode">{j.mode}</span>],
            ["Requester", <Address address={j.requester} />],
            ["Executors", j.executors.length ? <span class="list">{j.executors.map((e) => <Address key={e} address={e} />)}</span> : "-"],
            ["Fee", <Glass wei={j.fee} testid="job-fee" />],
            ["Requested", <At at={j.requested} />],
            ["Ended", j.ended ? <><At at={j.ended} />{j.seconds !== undefined ? <span class="muted"> after {duration(j.seconds)}</span> : null}</> : <span class="muted">not yet</span>],
            ...(j.refundReason ? ([["Refund reason", j.refundReason]] as [string, preact.ComponentChildren][]) : []),
            ["Checked by", <span data-testid="job-checks">{checksOf(j)}</span>],
            ["Input hash", <Hash value={j.inputHash} />],
            ["Output hash", <Hash value={j.outputHash} testid="job-output-hash" />],
            ...(j.callback ? ([["Callback", <Address address={j.callback} />]] as [string, preact.ComponentChildren][]) : []),
          ]}
        />
      </Section>
      <VerifyPanel job={j} />
      <Section title="Timeline" testid="job-timeline">
        <Timeline steps={j.timeline} start={j.requested.time} />
      </Section>
      <Section title="Model" testid="job-model">
        <Facts
          rows={[
            ["Model", <ModelLink id={j.model.modelId} version={j.model.version} />],
            ["Owner", <Address address={j.model.owner} />],
            ["Digest (SHA-256)", <Hash value={j.model.digest} testid="model-digest" />],
            ["URI", <span class="mono break" data-testid="model-uri">{j.model.uri}</span>],
            ["Policy version", j.policyVersion],
          ]}
        />
        {j.model.policy ? <Policy policy={j.model.policy} /> : null}
      </Section>
      <Section title="Input and output" testid="job-tensors">
        <p class="muted small">
          Input: {j.inputSize} bytes {j.inputURI ? <>by reference at <span class="mono break">{j.inputURI}</span></> : "inline"}
          {j.outputURI ? <> · output by reference at <span class="mono break">{j.outputURI}</span></> : null}
        </p>
        <TensorPreview jobId={j.jobId} which="input" url={jobInputUrl(j.jobId)} />
        {j.outputHash ? <TensorPreview jobId={j.jobId} which="output" url={jobOutputUrl(j.jobId)} /> : <p class="muted">No output posted yet.</p>}
      </Section>
      <Section title="Fee split and payouts" testid="job-payouts">
        {j.feeSplit ? (
          <div data-testid="fee-split">
            <Facts
              rows={[
                ["Executor", <Glass wei={j.feeSplit.executor} testid="fee-executor" />],
                ["Verifiers", <Glass wei={j.feeSplit.verifiers} testid="fee-verifiers" />],
                ["Model owner", <Glass wei={j.feeSplit.modelOwner} testid="fee-model-owner" />],
                ["Treasury", <Glass wei={j.feeSplit.treasury} testid="fee-treasury" />],
              ]}
            />
          </div>
        ) : (
          <p class="muted">The fee has not been paid out.</p>
        )}
        <Payouts payouts={j.payouts} />
      </Section>
      <Section title="Disputes" testid="job-disputes">
        <Table
          rows={j.disputes}
          rowTestid="job-dispute"
          rowKey={(d) => d.disputeId}
          empty="No dispute or audit."
          columns={[
            { title: "Dispute", cell: (d) => <DisputeLink id={d.disputeId} /> },
            { title: "Kind", cell: (d) => (d.audit ? "audit" : "challenge") },
            { title: "Challenger", cell: (d) => (d.challenger ? <Address address={d.challenger} /> : "-") },
            { title: "Verdict", cell: (d) => <Badge value={d.verdict ?? "open"} /> },
            { title: "Opened", cell: (d) => <At at={d.opened} /> },
            { title: "Resolved", cell: (d) => <At at={d.resolved} /> },
          ]}
        />
      </Section>
      {j.slashes.length > 0 ? (
        <Section title="Slashes" testid="job-slashes">
          <Slashes slashes={j.slashes} rowTestid="job-slash" />
        </Section>
      ) : null}
    </Page>
  );
}

function Page({ id, status, children }: { id: string; status?: string; children: preact.ComponentChildren }) {
  return (
    <div class="page" data-testid="job-page" data-job-id={id} data-status={status}>
      <h1>
        Job <span class="mono">#{id}</span>
      </h1>
      {children}
    </div>
  );
}

export function Policy({ policy }: { policy: Record<string, unknown> }) {
  return (
    <details class="policy" data-testid="model-policy" open>
      <summary>Policy</summary>
      <dl class="facts small">
        {Object.entries(policy).map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd class="mono">{k === "minFee" && typeof v === "string" ? <Glass wei={v} /> : typeof v === "object" ? JSON.stringify(v) : String(v)}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

/** Who checked the result, as far as the chain can tell (a watcher that agreed leaves no trace: it acts only to challenge). */
function checksOf(j: JobDetail): string {
  if (j.mode === "NONE") return "nobody: NONE trusts the executor";
  if (j.mode === "QUORUM") {
    const members = new Set(j.timeline.filter((s) => s.kind === "quorumOpened").flatMap((s) => (Array.isArray(s.detail.members) ? (s.detail.members as string[]) : [])));
    return `a quorum of ${members.size} executors, commit-reveal`;
  }
  const challenges = j.disputes.filter((d) => !d.audit).length;
  const audits = j.disputes.filter((d) => d.audit).length;
  const parts = [challenges > 0 ? `${challenges} challenge${challenges === 1 ? "" : "s"} by staked verifiers, each judged by a committee` : "no challenge (watchers re-run results off-chain and challenge only a wrong one)"];
  if (audits > 0) parts.push(`random audit drawn (${audits})`);
  else if (j.status === "Finalized" || j.status === "Refunded") parts.push("no random audit drawn");
  return parts.join("; ");
}

type VerifyState = { state: "idle" } | { state: "running"; stage: string } | { state: "done"; v: Verification } | { state: "error"; message: string };

function VerifyPanel({ job }: { job: JobDetail }) {
  const posted = job.timeline.filter((step) => step.kind === "resultPosted" || step.kind === "quorumRevealed");
  return (
    <Section title="Verify in this browser" testid="job-verify">
      <p class="muted small">
        Reads the job from the chain through its RPC endpoint, fetches the model and the input (checking their hashes against the chain), re-runs the model with onnxruntime-web
        and compares the posted output under the model's tolerance policy.
      </p>
      <VerifyButton jobId={job.jobId} label="Verify the job's result" disabled={job.outputHash === undefined ? "no output posted yet" : undefined} />
      {posted.length > 1 || (posted.length === 1 && job.disputed) ? (
        <>
          <p class="muted small">Each result posted, as its transaction's receipt holds it (a result a committee rejected too):</p>
          <ul class="posted-results">
            {posted.map((step) => (
              <li key={step.txHash}>
                <Address address={String(step.detail.executor)} /> in block {step.block}:{" "}
                <VerifyButton jobId={job.jobId} postedIn={step.txHash} label="Verify this result" />
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

/** A button that verifies the job's current result, or the one transaction `postedIn` posted, and shows the verdict beside it. */
function VerifyButton({ jobId, postedIn, label, disabled }: { jobId: string; postedIn?: string; label: string; disabled?: string }) {
  const [s, setS] = useState<VerifyState>({ state: "idle" });
  const run = async () => {
    setS({ state: "running", stage: "reading the chain and fetching the model…" });
    try {
      const config = await api.config();
      const { verifyJob } = await import("../verify");
      setS({ state: "running", stage: "re-running the model in this browser…" });
      setS({ state: "done", v: await verifyJob(jobId, config, postedIn) });
    } catch (err) {
      setS({ state: "error", message: messageOf(err) });
    }
  };
  return (
    <div class="verify">
      <button type="button" data-testid="verify-button" data-tx={postedIn} disabled={disabled !== undefined || s.state === "running"} onClick={run}>
        {s.state === "running" ? "Verifying…" : label}
      </button>
      {disabled !== undefined ? <span class="muted small"> ({disabled})</span> : null}
      {s.state === "running" ? <p class="muted" data-testid="verify-progress">{s.stage}</p> : null}
      {s.state === "done" ? <VerifyResult v={s.v} tx={postedIn} /> : null}
      {s.state === "error" ? (
        <p class="verify-result error" data-testid="verify-result" data-tx={postedIn} data-verdict="error" role="alert">
          Could not check: {s.message}
        </p>
      ) : null}
    </div>
  );
}

function VerifyResult({ v, tx }: { v: Verification; tx?: string }) {
  const dev = v.maxAbsDeviation === undefined ? "n/a (outputs not comparable element by element)" : num(v.maxAbsDeviation, 6);
  const verdict = v.withinTolerance ? "verified" : "not-within-tolerance";
  return (
    <div class={`verify-result ${v.withinTolerance ? "ok" : "bad"}`} data-testid="verify-result" data-tx={tx} data-verdict={verdict} data-max-abs-deviation={v.maxAbsDeviation}>
      <p class="verdict">{v.withinTolerance ? <>verified: within tolerance, largest deviation {dev}</> : <>NOT within tolerance: {v.reason ?? "outputs differ"}, largest deviation {dev}</>}</p>
      <Facts
        rows={[
          ["Policy", v.policy.exact ? "exact" : `abs ${num(v.policy.absTolerance)}, rel ${num(v.policy.relTolerance)}`],
          ["Largest relative deviation", num(v.maxRelDeviation, 6)],
          ["Posted output hash", <Hash value={v.outputHash} />],
          ["Recomputed output hash", <Hash value={v.recomputedHash} />],
          ...(v.worst ? ([["Worst element", <span class="mono">
                  {v.worst.tensor}[{v.worst.index}]: posted {num(v.worst.claimed, 8)}, recomputed {num(v.worst.computed, 8)}
                </span>]] as [string, preact.ComponentChildren][]) : []),
        ]}
      />
    </div>
  );
}
