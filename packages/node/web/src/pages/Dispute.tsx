/** One dispute (a challenge or a random audit): its committee, commitments, reveals, verdict, slashes and payouts. */
import { api, useApi, type DisputeDetail, type VerdictName } from "../api";
import { Address, At, Badge, ErrorBox, Facts, Glass, JobLink, Loading, Section } from "../components/links";
import { Payouts, Slashes } from "../components/Money";
import { Table } from "../components/Table";
import { when } from "../format";

interface Seat {
  member: string;
  committed?: DisputeDetail["commitments"][number];
  revealed?: { verdict: VerdictName; at: DisputeDetail["reveals"][number]["at"] };
}

export function Dispute({ id }: { id: string }) {
  const dispute = useApi((signal) => api.dispute(id, signal), `dispute:${id}`, 5000);
  const d = dispute.data;
  return (
    <div class="page" data-testid="dispute-page" data-dispute-id={id}>
      <h1>Dispute #{id}</h1>
      {dispute.error ? <ErrorBox message={dispute.error} /> : null}
      {!d ? (
        dispute.error ? null : <Loading what="the dispute" />
      ) : (
        <>
          <Section title="Summary" testid="dispute-summary">
            <Facts
              rows={[
                ["Job", <JobLink id={d.jobId} />],
                ["Kind", d.audit ? "random audit" : "challenge"],
                ["Challenger", d.challenger ? <Address address={d.challenger} /> : "-"],
                ["Verdict", <Badge value={d.verdict ?? "open"} testid="dispute-verdict" />],
                ["Votes", d.validVotes !== undefined || d.invalidVotes !== undefined ? `${d.validVotes ?? 0} Valid, ${d.invalidVotes ?? 0} Invalid` : "-"],
                ["Opened", <At at={d.opened} />],
                ["Commit phase ends", d.commitEnd ? when(d.commitEnd) : "-"],
                ["Reveal phase ends", d.revealEnd ? when(d.revealEnd) : "-"],
                ["Resolved", <At at={d.resolved} />],
                ["Pot", d.pot ? <Glass wei={d.pot} /> : "-"],
              ]}
            />
          </Section>
          <Section title={`Committee${d.seats ? ` (${d.seats} seats)` : ""}`} testid="dispute-committee">
            <Table
              rows={seats(d)}
              rowTestid="dispute-vote"
              rowKey={(s, i) => `${s.member}:${i}`}
              empty="No committee drawn yet."
              rowAttrs={(s) => ({ "data-voter": s.member, "data-committed": String(!!s.committed), "data-verdict": s.revealed?.verdict ?? "" })}
              columns={[
                { title: "Member", cell: (s) => <Address address={s.member} /> },
                { title: "Committed", cell: (s) => (s.committed ? <At at={s.committed.at} /> : <span class="muted">no</span>) },
                { title: "Revealed", cell: (s) => (s.revealed ? <Badge value={s.revealed.verdict} testid="vote-verdict" /> : <span class="muted">no</span>) },
                { title: "Revealed at", cell: (s) => <At at={s.revealed?.at} /> },
              ]}
            />
          </Section>
          <Section title="Slashes" testid="dispute-slashes">
            <Slashes slashes={d.slashes} rowTestid="dispute-slash" />
          </Section>
          <Section title="Payouts" testid="dispute-payouts">
            <Payouts payouts={d.payouts} />
          </Section>
        </>
      )}
    </div>
  );
}

/** One row per committee member (and per voter outside it, should the logs name one), with its commitment and reveal. */
function seats(d: DisputeDetail): Seat[] {
  const members = [...d.committee];
  for (const v of [...d.commitments.map((c) => c.voter), ...d.reveals.map((r) => r.voter)]) if (!members.some((m) => m.toLowerCase() === v.toLowerCase())) members.push(v);
  const same = (a: string) => (b: { voter: string }) => a.toLowerCase() === b.voter.toLowerCase();
  return members.map((member) => {
    const committed = d.commitments.find(same(member));
    const r = d.reveals.find(same(member));
    return { member, committed, revealed: r ? { verdict: r.verdict, at: r.at } : undefined };
  });
}
