/**
 * c. The nodes' RPC endpoint refuses connections for 20 s, then answers every request 500 ms late.
 *    The nodes reach the chain through scripts/chaos/proxy.ts; the client and the clock do not.
 *    Chain time is held during the outage (the clock stops; only the client's requests are mined)
 *    so that the executor's windows outlast it: the scenario is about the RPC, not the deadlines.
 *    The jobs requested during the outage must finalize, the node processes stay alive, and their
 *    /healthz answer 200 again once the endpoint is back.
 */
import { JobRegistry__factory } from "../../../packages/node/src/typechain";
import { Status } from "../../../packages/node/src/sdk";
import { freePort, sleep } from "../../devnet/chain";
import { ChaosProxy } from "../proxy";
import { DEADLINE_SECONDS, FEE, alive, executorSpec, healthy, logLines, settleAll, settleWithKeeper, verifierSpec } from "../devnet";
import { expectThat, withDevnet, type Scenario } from "../scenario";

const OUTAGE_MS = 20_000;
const LATENCY_MS = 500;

export const rpcOutage: Scenario = {
  name: "rpc-outage",
  chains: { hardhat: { quick: true }, anvil: { quick: false } },
  description: "RPC refuses connections for 20 s, then answers 500 ms late; jobs still finalize",
  run: async ({ log, chain }) => {
    let proxy: ChaosProxy | undefined;
    try {
      return await withDevnet(
        {
          chain,
          name: "rpc-outage",
          nodes: [executorSpec(1), executorSpec(2), verifierSpec(1)],
          rpcFor: async (chainUrl) => {
            proxy = new ChaosProxy(await freePort(), { host: "127.0.0.1", port: Number(new URL(chainUrl).port) });
            await proxy.open();
            return proxy.url;
          },
        },
        async (d) => {
          const p = proxy as ChaosProxy;
          const { client, mlp } = d;
          const before = (await client.request(mlp, "NONE", mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId;
          expectThat((await settleAll(d, [before], 60_000)).get(before) === "finalized", `job ${before} before the outage did not finalize`);

          await p.refuse();
          const t0 = Date.now();
          log("the RPC refuses connections");
          const during: bigint[] = [];
          for (const mode of ["NONE", "OPTIMISTIC", "OPTIMISTIC"] as const) during.push((await client.request(mlp, mode, mlp.model.input(), FEE, DEADLINE_SECONDS)).jobId);
          await sleep(OUTAGE_MS - (Date.now() - t0));
          for (const name of d.nodes.keys()) expectThat(alive(d, name), `${name} exited during the outage`);

          p.latencyMs = LATENCY_MS;
          await p.open();
          log(`the RPC is back, ${LATENCY_MS} ms late per request; jobs ${during.join(", ")} requested during the outage`);
          // The nodes retry with a backoff (up to 12.8 s after a 20 s outage) and then make every
          // call 500 ms late: chain time waits while the executors serve the jobs, then runs fast
          // through the challenge windows. A job whose execution window still passes is timed out
          // and reassigned by the rules (reported, not a failure: the window is 60 s of real time).
          const jobs = JobRegistry__factory.connect(d.deployment.contracts.jobRegistry, d.provider);
          const servedBy = Date.now() + 90_000;
          for (;;) {
            const waiting = [];
            for (const id of during) if (Number((await jobs.jobOf(id)).status) <= Status.Assigned) waiting.push(id);
            if (waiting.length === 0 || Date.now() > servedBy) break;
            await sleep(250);
          }
          const servedAfter = ((Date.now() - t0) / 1000 - OUTAGE_MS / 1000).toFixed(1);
          d.startClock();
          const timedOut = await settleWithKeeper(d, during, 150_000);
          const outcomes = await settleAll(d, during, 10_000);
          const bad = during.filter((id) => outcomes.get(id) !== "finalized");
          expectThat(bad.length === 0, `jobs ${bad.join(", ")} did not finalize`);
          // A transaction the node lost to its own bookkeeping (a reused nonce) is a bug, whatever the latency.
          const nonceErrors = [...d.nodes.keys()].flatMap((name) => logLines(d, name, /"level":50.*nonce/i).map((l) => `${name}: ${/"key":"([^"]+)".*"err":"([^"]+)"/.exec(l)?.slice(1, 3).join(": ") ?? l.slice(0, 200)}`));
          expectThat(nonceErrors.length === 0, `nonce errors after the outage: ${nonceErrors.join("; ")}`);
          await d.stopClock();
          for (const [name, n] of d.nodes) {
            expectThat(alive(d, name), `${name} exited after the outage`);
            expectThat(await healthy(n.metricsPort, 30_000), `${name}'s /healthz did not recover`);
          }
          const errors = [...d.nodes.keys()].reduce((sum, name) => sum + logLines(d, name, /ECONNREFUSED|ECONNRESET|socket hang up|fetch failed/).length, 0);
          const missed = timedOut.length === 0 ? "" : ` (jobs ${timedOut.join(", ")} missed their 60 s execution window and were timed out and reassigned)`;
          return `${during.length} jobs requested during a ${OUTAGE_MS / 1000} s outage${missed} were served ${servedAfter} s after the RPC came back and finalized under ${LATENCY_MS} ms latency; ${d.nodes.size} nodes alive and healthy (${errors} connection errors logged, ${p.accepted} connections)`;
        },
      );
    } finally {
      await proxy?.close();
    }
  },
};
