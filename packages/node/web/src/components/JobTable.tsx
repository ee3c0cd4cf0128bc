/** Lists of jobs: the same columns on every page. */
import type { JobSummary } from "../api";
import { duration } from "../format";
import { Address, At, Badge, Glass, JobLink, ModelLink } from "./links";
import { Table, type Column } from "./Table";

const COLUMNS: Column<JobSummary>[] = [
  { title: "Job", cell: (j) => <JobLink id={j.jobId} /> },
  { title: "Status", cell: (j) => <Badge value={j.status} testid="job-status" /> },
  { title: "Mode", cell: (j) => <span data-testid="job-mode">{j.mode}</span> },
  { title: "Model", cell: (j) => <ModelLink id={j.modelId} version={j.modelVersion} /> },
  { title: "Requester", cell: (j) => <Address address={j.requester} /> },
  {
    title: "Executor",
    cell: (j) =>
      j.executors.length === 0 ? (
        <span class="muted">-</span>
      ) : (
        <span class="list">
          {j.executors.map((e) => (
            <Address key={e} address={e} />
          ))}
        </span>
      ),
  },
  { title: "Fee", num: true, cell: (j) => <Glass wei={j.fee} /> },
  { title: "Requested", cell: (j) => <At at={j.requested} relative /> },
  {
    title: "Took",
    num: true,
    cell: (j) => (j.ended ? duration(j.ended.time - j.requested.time) : <span class="muted">open</span>),
  },
];

export function JobTable({ jobs, testid, empty }: { jobs: readonly JobSummary[]; testid?: string; empty?: string }) {
  return (
    <Table
      rows={jobs}
      columns={COLUMNS}
      rowKey={(j) => j.jobId}
      rowTestid="job-row"
      testid={testid}
      empty={empty ?? "No jobs yet."}
      rowAttrs={(j) => ({ "data-job-id": j.jobId, "data-status": j.status, "data-mode": j.mode })}
    />
  );
}
