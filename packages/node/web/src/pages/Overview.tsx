/**
 * The network at a glance: activity and outcome charts, stake, slashes, the newest jobs (polled
 * every 2 s), and paged lists of jobs (filtered by status and mode), nodes, models and disputes.
 */
import { useState } from "preact/hooks";
import type { VisualizationSpec } from "vega-embed";
import { api, useApi, type DisputeSummary, type JobStatusName, type ModeName, type ModelSummary, type NetworkSummary, type NodeSummary, type Page } from "../api";
import { Chart } from "../components/Chart";
import { JobTable } from "../components/JobTable";
import { Address, At, Badge, DisputeLink, ErrorBox, Facts, Glass, JobLink, Loading, ModelLink, Section } from "../components/links";
import { Pager, Table } from "../components/Table";
import { duration } from "../format";

const POLL_MS = 2000;
const STATUSES: JobStatusName[] = ["Unassigned", "Assigned", "Submitted", "Disputed", "Finalized", "Refunded"];
const MODES: ModeName[] = ["NONE", "OPTIMISTIC", "QUORUM", "ATTESTED"];

export function Overview() {
  const summary = useApi(api.summary, "summary", POLL_MS);
  const s = summary.data;
  return (
    <div class="page" data-testid="overview">
      <h1>Network</h1>
      {summary.error ? <ErrorBox message={summary.error} /> : null}
      {!s ? (
        summary.error ? null : <Loading what="the network summary" />
      ) : (
        <>
          <Stats s={s} />
          <div class="grid3">
            <Section title="Jobs per minute" testid="chart-jobs-per-minute">
              <Chart spec={jobsPerMinuteSpec(s)} testid="chart-jpm" label="jobs requested per minute" />
            </Section>
            <Section title="Outcomes" testid="chart-outcomes">
              <Chart spec={outcomesSpec(s)} testid="chart-outcome" label="finalized, refunded, disputed and open jobs" />
            </Section>
            <Section title="Median time to a verified result" testid="chart-latency">
              <Chart spec={latencySpec(s)} testid="chart-median" label="median seconds from request to finalized, per mode" />
            </Section>
          </div>
          <Section title="Latest jobs" testid="overview-recent" actions={<span class="muted live">live</span>}>
            <JobTable jobs={s.recentJobs} testid="recent-jobs" />
          </Section>
        </>
      )}
      <JobsList total={s?.jobs.total} />
      <div class="grid2">
        <NodesList />
        <ModelsList />
      </div>
      <DisputesList />
    </div>
  );
}

function Stats({ s }: { s: NetworkSummary }) {
  return (
    <div class="stats" data-testid="overview-stats">
      <Stat label="Jobs" value={s.jobs.total} testid="stat-jobs" />
      <Stat label="Finalized" value={s.jobs.finalized} testid="stat-finalized" />
      <Stat label="Refunded" value={s.jobs.refunded} testid="stat-refunded" />
      <Stat label="Disputed" value={s.jobs.disputed} testid="stat-disputed" />
      <Stat label="Open" value={s.jobs.open} testid="stat-open" />
      <Stat label="Executor stake" value={<Glass wei={s.stakeByRole.EXECUTOR} />} testid="stake-executor" />
      <Stat label="Verifier stake" value={<Glass wei={s.stakeByRole.VERIFIER} />} testid="stake-verifier" />
      <Stat label="Slashes" value={<>{s.slashes.count} · <Glass wei={s.slashes.total} /></>} testid="stat-slashes" />
      <Stat label="Nodes / models" value={`${s.nodes} / ${s.models}`} testid="stat-nodes" />
      <Stat
        label="Indexed block"
        value={
          <>
            {s.indexedBlock} <span class={s.lagBlocks > 5 ? "warn" : "muted"}>({s.lagBlocks} behind)</span>
          </>
        }
        testid="stat-indexed"
      />
    </div>
  );
}

function Stat({ label, value, testid }: { label: string; value: preact.ComponentChildren; testid: string }) {
  return (
    <div class="stat" data-testid={testid}>
      <div class="stat-label">{label}</div>
      <div class="stat-value">{value}</div>
    </div>
  );
}

/** `minute` is a bucket of chain time in minutes since the Unix epoch (NetworkSummary.jobsPerMinute). */
function minuteMs(minute: number): number {
  return minute * 60_000;
}

const BASE = { $schema: "https://vega.github.io/schema/vega-lite/v6.json", width: "container", height: 180, autosize: { type: "fit", contains: "padding" } } as const;

function jobsPerMinuteSpec(s: NetworkSummary): VisualizationSpec {
  return {
    ...BASE,
    data: { values: s.jobsPerMinute.map((m) => ({ t: minuteMs(m.minute), jobs: m.jobs })) },
    mark: { type: "bar", color: "#3b6fd8", tooltip: true },
    encoding: {
      x: { field: "t", type: "temporal", timeUnit: "yearmonthdatehoursminutes", title: "minute (chain time)", axis: { format: "%H:%M", labelAngle: 0 } },
      y: { field: "jobs", type: "quantitative", title: "jobs requested", axis: { tickMinStep: 1 } },
    },
  } as VisualizationSpec;
}

function outcomesSpec(s: NetworkSummary): VisualizationSpec {
  const values = [
    { outcome: "finalized", jobs: s.jobs.finalized },
    { outcome: "refunded", jobs: s.jobs.refunded },
    { outcome: "disputed", jobs: s.jobs.disputed },
    { outcome: "open", jobs: s.jobs.open },
  ];
  return {
    ...BASE,
    data: { values },
    mark: { type: "bar", tooltip: true },
    encoding: {
      x: { field: "outcome", type: "nominal", sort: null, title: null, axis: { labelAngle: 0 } },
      y: { field: "jobs", type: "quantitative", title: "jobs", axis: { tickMinStep: 1 } },
      color: {
        field: "outcome",
        type: "nominal",
        legend: null,
        scale: { domain: ["finalized", "refunded", "disputed", "open"], range: ["#2f9e5b", "#d08a1c", "#c9423a", "#8a94a6"] },
      },
    },
  } as VisualizationSpec;
}

function latencySpec(s: NetworkSummary): VisualizationSpec {
  return {
    ...BASE,
    data: { values: s.medianSecondsToFinal.map((m) => ({ mode: m.mode, seconds: m.seconds, jobs: m.jobs })) },
    mark: { type: "bar", color: "#6b4fd8", tooltip: true },
    encoding: {
      x: { field: "mode", type: "nominal", title: null, sort: MODES, axis: { labelAngle: 0 } },
      y: { field: "seconds", type: "quantitative", title: "median seconds" },
      tooltip: [
        { field: "mode", type: "nominal" },
        { field: "seconds", type: "quantitative", title: "median seconds" },
        { field: "jobs", type: "quantitative", title: "finalized jobs" },
      ],
    },
  } as VisualizationSpec;
}

function JobsList({ total }: { total?: number }) {
  const [status, setStatus] = useState<JobStatusName | "">("");
  const [mode, setMode] = useState<ModeName | "">("");
  const [page, setPage] = useState(1);
  // Reloads when a filter or the page changes, and when the summary counts a new job.
  const jobs = useApi((signal) => api.jobs({ status, mode, page, limit: 20 }, signal), `jobs:${status}:${mode}:${page}:${total ?? ""}`);
  const filters = (
    <div class="filters">
      <label>
        Status{" "}
        <select
          data-testid="filter-status"
          value={status}
          onChange={(e) => {
            setStatus((e.currentTarget as HTMLSelectElement).value as JobStatusName | "");
            setPage(1);
          }}
        >
          <option value="">any</option>
          {STATUSES.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
      <label>
        Mode{" "}
        <select
          data-testid="filter-mode"
          value={mode}
          onChange={(e) => {
            setMode((e.currentTarget as HTMLSelectElement).value as ModeName | "");
            setPage(1);
          }}
        >
          <option value="">any</option>
          {MODES.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
  return (
    <Section title="Jobs" testid="overview-jobs" actions={filters}>
      {jobs.error ? <ErrorBox message={jobs.error} /> : null}
      {jobs.data ? (
        <>
          <JobTable jobs={jobs.data.items} testid="jobs-table" empty="No job matches these filters." />
          <Pager page={jobs.data.page} pages={jobs.data.pages} total={jobs.data.total} onPage={setPage} testid="jobs-pager" />
        </>
      ) : jobs.error ? null : (
        <Loading what="jobs" />
      )}
    </Section>
  );
}

function usePaged<T>(load: (p: { page: number; limit: number }, signal: AbortSignal) => Promise<Page<T>>, name: string) {
  const [page, setPage] = useState(1);
  const res = useApi((signal) => load({ page, limit: 10 }, signal), `${name}:${page}`);
  return { ...res, setPage };
}

function NodesList() {
  const nodes = usePaged<NodeSummary>(api.nodes, "nodes");
  return (
    <Section title="Nodes" testid="overview-nodes">
      {nodes.error ? <ErrorBox message={nodes.error} /> : null}
      {nodes.data ? (
        <>
          <Table
            rows={nodes.data.items}
            rowKey={(n) => n.address}
            rowTestid="node-row"
            empty="No node has staked yet."
            columns={[
              { title: "Node", cell: (n) => <Address address={n.address} /> },
              { title: "Executor stake", num: true, cell: (n) => <Glass wei={n.stake.EXECUTOR} /> },
              { title: "Verifier stake", num: true, cell: (n) => <Glass wei={n.stake.VERIFIER} /> },
              { title: "Jobs", num: true, cell: (n) => n.jobsExecuted },
              { title: "Slashed", num: true, cell: (n) => (n.slashed === "0" ? <span class="muted">-</span> : <Glass wei={n.slashed} />) },
            ]}
          />
          <Pager page={nodes.data.page} pages={nodes.data.pages} total={nodes.data.total} onPage={nodes.setPage} testid="nodes-pager" />
        </>
      ) : nodes.error ? null : (
        <Loading what="nodes" />
      )}
    </Section>
  );
}

function ModelsList() {
  const models = usePaged<ModelSummary>(api.models, "models");
  return (
    <Section title="Models" testid="overview-models">
      {models.error ? <ErrorBox message={models.error} /> : null}
      {models.data ? (
        <>
          <Table
            rows={models.data.items}
            rowKey={(m) => m.modelId}
            rowTestid="model-row"
            empty="No model registered yet."
            columns={[
              { title: "Model", cell: (m) => <ModelLink id={m.modelId} /> },
              { title: "Owner", cell: (m) => <Address address={m.owner} /> },
              { title: "Versions", num: true, cell: (m) => m.versions },
              { title: "Jobs", num: true, cell: (m) => m.jobs },
            ]}
          />
          <Pager page={models.data.page} pages={models.data.pages} total={models.data.total} onPage={models.setPage} testid="models-pager" />
        </>
      ) : models.error ? null : (
        <Loading what="models" />
      )}
    </Section>
  );
}

function DisputesList() {
  const disputes = usePaged<DisputeSummary>(api.disputes, "disputes");
  return (
    <Section title="Disputes and audits" testid="overview-disputes">
      {disputes.error ? <ErrorBox message={disputes.error} /> : null}
      {disputes.data ? (
        <>
          <Table
            rows={disputes.data.items}
            rowKey={(d) => d.disputeId}
            rowTestid="dispute-row"
            empty="No dispute yet."
            columns={[
              { title: "Dispute", cell: (d) => <DisputeLink id={d.disputeId} /> },
              { title: "Job", cell: (d) => <JobLink id={d.jobId} /> },
              { title: "Kind", cell: (d) => (d.audit ? "audit" : "challenge") },
              { title: "Challenger", cell: (d) => (d.challenger ? <Address address={d.challenger} /> : <span class="muted">-</span>) },
              { title: "Verdict", cell: (d) => <Badge value={d.verdict ?? "open"} /> },
              { title: "Opened", cell: (d) => <At at={d.opened} relative /> },
              { title: "Took", num: true, cell: (d) => (d.resolved ? duration(d.resolved.time - d.opened.time) : <span class="muted">open</span>) },
            ]}
          />
          <Pager page={disputes.data.page} pages={disputes.data.pages} total={disputes.data.total} onPage={disputes.setPage} testid="disputes-pager" />
        </>
      ) : disputes.error ? null : (
        <Loading what="disputes" />
      )}
    </Section>
  );
}
