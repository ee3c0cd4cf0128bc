/** Payouts and slashes: who received what. */
import type { Payout, Slash } from "../api";
import { Address, At, DisputeLink, Glass, JobLink } from "./links";
import { Table } from "./Table";

export function Payouts({ payouts, testid = "payouts" }: { payouts: readonly Payout[]; testid?: string }) {
  return (
    <Table
      rows={payouts}
      testid={testid}
      rowTestid="payout"
      rowKey={(p, i) => `${p.at.txHash}:${p.at.logIndex}:${i}`}
      empty="Nothing paid out yet."
      rowAttrs={(p) => ({ "data-as": p.as, "data-account": p.account })}
      columns={[
        { title: "To", cell: (p) => <Address address={p.account} /> },
        { title: "As", cell: (p) => p.as },
        { title: "Amount", num: true, cell: (p) => <Glass wei={p.amount} /> },
        { title: "When", cell: (p) => <At at={p.at} /> },
      ]}
    />
  );
}

export function Slashes({ slashes, rowTestid = "slash", testid = "slashes", showNode = true }: { slashes: readonly Slash[]; rowTestid?: string; testid?: string; showNode?: boolean }) {
  return (
    <Table
      rows={slashes}
      testid={testid}
      rowTestid={rowTestid}
      rowKey={(s, i) => `${s.at.txHash}:${s.at.logIndex}:${i}`}
      empty="No slash."
      rowAttrs={(s) => ({ "data-node": s.node, "data-role": s.role })}
      columns={[
        ...(showNode ? [{ title: "Node", cell: (s: Slash) => <Address address={s.node} /> }] : []),
        { title: "Role", cell: (s: Slash) => s.role },
        { title: "Amount", num: true, cell: (s: Slash) => <Glass wei={s.amount} /> },
        { title: "To", cell: (s: Slash) => <Address address={s.recipient} /> },
        {
          title: "For",
          cell: (s: Slash) => (
            <span class="list">
              {s.jobId ? <JobLink id={s.jobId} /> : null}
              {s.disputeId ? <DisputeLink id={s.disputeId} /> : null}
            </span>
          ),
        },
        { title: "When", cell: (s: Slash) => <At at={s.at} /> },
      ]}
    />
  );
}
