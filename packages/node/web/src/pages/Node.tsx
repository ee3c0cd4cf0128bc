/** One node: stake per role, its work, disputes, slashes, latency and recent jobs. */
import { api, useApi } from "../api";
import { JobTable } from "../components/JobTable";
import { Badge, ErrorBox, Facts, Glass, Loading, ModelLink, Section } from "../components/links";
import { Slashes } from "../components/Money";
import { duration } from "../format";

export function Node({ address }: { address: string }) {
  const node = useApi((signal) => api.node(address, signal), `node:${address}`, 5000);
  const n = node.data;
  return (
    <div class="page" data-testid="node-page" data-address={address}>
      <h1>
        Node <span class="mono break">{address}</span>
      </h1>
      {node.error ? <ErrorBox message={node.error} /> : null}
      {!n ? (
        node.error ? null : <Loading what="the node" />
      ) : (
        <>
          <div class="grid2">
            <Section title="Stake" testid="node-stake">
              <table class="plain">
                <thead>
                  <tr>
                    <th>Role</th>
                    <th class="num">Active</th>
                    <th class="num">Unbonding</th>
                    <th>State</th>
                  </tr>
                </thead>
                <tbody>
                  {(["EXECUTOR", "VERIFIER"] as const).map((r) => (
                    <tr key={r} data-testid="node-role" data-role={r}>
                      <td>{r.toLowerCase()}</td>
                      <td class="num">
                        <Glass wei={n.stake[r]} testid={`stake-${r.toLowerCase()}`} />
                      </td>
                      <td class="num">
                        <Glass wei={n.unbonding[r]} />
                      </td>
                      <td>{n.jailed[r] ? <Badge value="jailed" /> : <span class="muted">{BigInt(n.stake[r]) > 0n || BigInt(n.unbonding[r]) > 0n ? "active" : "not staked"}</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Facts
                rows={[
                  ["Credited in all", <Glass wei={n.credited} />],
                  ["Slashed in all", <Glass wei={n.slashed} testid="node-slashed" />],
                  ["Models opted in", n.models.length ? <span class="list">{n.models.map((m) => <ModelLink key={m} id={m} />)}</span> : "-"],
                ]}
              />
            </Section>
            <Section title="Work" testid="node-work">
              <Facts
                rows={[
                  ["Jobs assigned", <span data-testid="node-jobs-assigned">{n.jobsAssigned}</span>],
                  ["Results posted", <span data-testid="node-jobs-executed">{n.jobsExecuted}</span>],
                  ["Jobs finalized", n.jobsFinalized],
                  ["Disputes voted on (checked)", <span data-testid="node-disputes-voted">{n.disputesVoted}</span>],
                  ["Disputes challenged", n.disputesChallenged],
                  ["Disputes over its results won", <span data-testid="node-disputes-won">{n.disputesWon}</span>],
                  ["… lost", <span data-testid="node-disputes-lost">{n.disputesLost}</span>],
                  [
                    "Latency (assigned → result)",
                    n.latency ? (
                      <span data-testid="node-latency">
                        median {duration(n.latency.medianSeconds)} ({n.latency.medianBlocks} blocks), max {duration(n.latency.maxSeconds)}, over {n.latency.results} results
                      </span>
                    ) : (
                      "-"
                    ),
                  ],
                ]}
              />
            </Section>
          </div>
          <Section title="Slashes" testid="node-slashes">
            <Slashes slashes={n.slashes} rowTestid="node-slash" showNode={false} />
          </Section>
          <Section title="Recent jobs" testid="node-jobs">
            <JobTable jobs={n.recentJobs} />
          </Section>
        </>
      )}
    </div>
  );
}
