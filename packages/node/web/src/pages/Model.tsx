/** One model: its versions, policy, executors, fees and recent jobs. */
import { api, useApi } from "../api";
import { JobTable } from "../components/JobTable";
import { Address, At, Badge, ErrorBox, Facts, Glass, Hash, Loading, Section } from "../components/links";
import { Table } from "../components/Table";
import { Policy } from "./Job";

export function Model({ id }: { id: string }) {
  const model = useApi((signal) => api.model(id, signal), `model:${id}`, 5000);
  const m = model.data;
  return (
    <div class="page" data-testid="model-page" data-model-id={id}>
      <h1>Model {id}</h1>
      {model.error ? <ErrorBox message={model.error} /> : null}
      {!m ? (
        model.error ? null : <Loading what="the model" />
      ) : (
        <>
          <Section title="Summary" testid="model-summary">
            <Facts
              rows={[
                ["Owner", <Address address={m.owner} />],
                ["Registered", <At at={m.registered} />],
                ["Jobs", <span data-testid="model-jobs-count">{m.jobs}</span>],
                ["Fees requested", <Glass wei={m.feesRequested} testid="model-fees-requested" />],
                ["Fees paid to the owner", <Glass wei={m.feesPaidToOwner} testid="model-fees-owner" />],
                ["Executors", m.executors.length ? <span class="list">{m.executors.map((e) => <Address key={e} address={e} />)}</span> : "-"],
                ["Policy version", m.policyVersion ?? "-"],
              ]}
            />
            {m.policy ? <Policy policy={m.policy} /> : null}
          </Section>
          <Section title="Versions" testid="model-versions">
            <Table
              rows={m.versionList}
              rowTestid="model-version"
              rowKey={(v) => String(v.version)}
              rowAttrs={(v) => ({ "data-version": String(v.version), "data-deprecated": String(v.deprecated) })}
              columns={[
                { title: "Version", cell: (v) => `v${v.version}` },
                { title: "Digest (SHA-256)", cell: (v) => <Hash value={v.digest} /> },
                { title: "URI", cell: (v) => <span class="mono break">{v.uri}</span> },
                { title: "State", cell: (v) => (v.deprecated ? <Badge value="deprecated" /> : <span class="muted">active</span>) },
                { title: "Published", cell: (v) => <At at={v.published} /> },
              ]}
            />
          </Section>
          <Section title="Recent jobs" testid="model-jobs">
            <JobTable jobs={m.recentJobs} />
          </Section>
        </>
      )}
    </div>
  );
}
