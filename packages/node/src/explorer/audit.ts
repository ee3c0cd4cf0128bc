/**
 * Checks the explorer's index against the contracts: every job (status, requester, model, mode,
 * fee, the executors of the last assignment, output hash, refund reason), every indexed node's
 * stake per role (active, unbonding, jailed) and every model (owner, version count). The contracts
 * are read at the index's block, so an index that lags the head by its confirmations still agrees.
 * The explorer's tests and the devnet's browser test call it; an empty list means they agree.
 */
import { getAddress, type Provider } from "ethers";
import type { Deployment } from "../deployment";
import { GlassboxClient } from "../sdk/client";
import { Mode, namesOf, Role, Status } from "../sdk/enums";
import { JobRegistry__factory } from "../typechain/factories/contracts/JobRegistry__factory";
import { ModelRegistry__factory } from "../typechain/factories/contracts/ModelRegistry__factory";
import { StakeManager__factory } from "../typechain/factories/contracts/StakeManager__factory";
import type { ExplorerQueries } from "./queries";
import type { RoleName } from "./types";

/** One difference between the index and the chain. */
export interface Mismatch {
  /** What differs: `job 3 status`, `node 0xabc.. EXECUTOR active`, `model 1 versions`, ... */
  what: string;
  indexed: string;
  chain: string;
}

const ZERO_ADDRESS = /^0x0{40}$/i;
const ZERO_HASH = /^0x0{64}$/i;
const PAGE = 100;

/**
 * The differences between the index behind `queries` and the contracts of `deployment`, read at
 * the index's block. `extraNodes` are addresses to check even if the index does not know them
 * (the index cannot list stakers it missed; the caller may know who staked).
 */
export async function compareWithChain(
  queries: ExplorerQueries,
  provider: Provider,
  deployment: Pick<Deployment, "contracts">,
  extraNodes: string[] = [],
): Promise<Mismatch[]> {
  const blockTag = queries.indexedBlock();
  if (blockTag < 0) return [{ what: "index", indexed: "empty", chain: "deployed" }];
  const out: Mismatch[] = [];
  const differ = (what: string, indexed: unknown, chain: unknown) => {
    if (String(indexed) !== String(chain)) out.push({ what, indexed: String(indexed), chain: String(chain) });
  };
  await compareJobs(queries, provider, deployment, blockTag, differ);
  await compareNodes(queries, provider, deployment, blockTag, extraNodes, differ);
  await compareModels(queries, provider, deployment, blockTag, differ);
  return out;
}

type Differ = (what: string, indexed: unknown, chain: unknown) => void;

async function compareJobs(queries: ExplorerQueries, provider: Provider, deployment: Pick<Deployment, "contracts">, blockTag: number, differ: Differ): Promise<void> {
  const jobs = JobRegistry__factory.connect(deployment.contracts.jobRegistry, provider);
  const client = await GlassboxClient.connect({ addresses: deployment.contracts }, provider);
  const count = Number(await jobs.jobCount({ blockTag }));
  differ("job count", queries.jobs({}, 1, 1).total, count);
  for (let id = 1; id <= count; id++) {
    const indexed = queries.job(id);
    const job = await jobs.jobOf(id, { blockTag });
    const [, outputHash] = await jobs.resultOf(id, { blockTag });
    const what = `job ${id}`;
    if (!indexed) {
      differ(`${what}`, "missing", "exists");
      continue;
    }
    const status = namesOf(Status)[Number(job.status)];
    differ(`${what} status`, indexed.status, status);
    differ(`${what} requester`, indexed.requester, job.requester);
    differ(`${what} modelId`, indexed.modelId, job.modelId);
    differ(`${what} modelVersion`, indexed.modelVersion, job.version);
    differ(`${what} mode`, indexed.mode, namesOf(Mode)[Number(job.mode)]);
    differ(`${what} fee`, indexed.fee, job.fee);
    differ(`${what} policyVersion`, indexed.policyVersion, job.policyVersion);
    // The hub keeps one executor: the last assignment's (QUORUM: its first seat, then the first of the majority).
    if (ZERO_ADDRESS.test(job.executor)) differ(`${what} executors`, indexed.executors.join(","), "");
    else if (indexed.mode === "QUORUM") differ(`${what} executors include the hub's executor`, indexed.executors.includes(getAddress(job.executor)), true);
    else differ(`${what} executors`, indexed.executors.join(","), getAddress(job.executor));
    differ(`${what} outputHash`, (indexed.outputHash ?? "none").toLowerCase(), ZERO_HASH.test(outputHash) ? "none" : outputHash.toLowerCase());
    if (status === "Refunded") differ(`${what} refundReason`, indexed.refundReason, (await client.job(BigInt(id))).refundReason);
    else differ(`${what} refundReason`, indexed.refundReason ?? "none", "none");
  }
}

async function compareNodes(
  queries: ExplorerQueries,
  provider: Provider,
  deployment: Pick<Deployment, "contracts">,
  blockTag: number,
  extraNodes: string[],
  differ: Differ,
): Promise<void> {
  const stakes = StakeManager__factory.connect(deployment.contracts.stakeManager, provider);
  const addresses = new Set(extraNodes.map((a) => getAddress(a)));
  for (let page = 1; ; page++) {
    const { items, pages } = queries.nodes(page, PAGE);
    for (const n of items) addresses.add(n.address);
    if (page >= pages) break;
  }
  for (const address of addresses) {
    const indexed = queries.node(address);
    for (const role of namesOf(Role) as RoleName[]) {
      const account = await stakes.accountOf(address, Role[role], { blockTag });
      const what = `node ${address} ${role}`;
      differ(`${what} active`, indexed?.stake[role] ?? "0", account.active);
      differ(`${what} unbonding`, indexed?.unbonding[role] ?? "0", account.unbonding);
      differ(`${what} jailed`, indexed?.jailed[role] ?? false, account.jailed);
    }
  }
}

async function compareModels(queries: ExplorerQueries, provider: Provider, deployment: Pick<Deployment, "contracts">, blockTag: number, differ: Differ): Promise<void> {
  const models = ModelRegistry__factory.connect(deployment.contracts.modelRegistry, provider);
  const count = Number(await models.modelCount({ blockTag }));
  differ("model count", queries.models(1, 1).total, count);
  for (let id = 1; id <= count; id++) {
    const indexed = queries.model(id);
    differ(`model ${id} versions`, indexed?.versions ?? "missing", await models.versionCount(id, { blockTag }));
    differ(`model ${id} owner`, indexed?.owner ?? "missing", await models.ownerOf(id, { blockTag }));
  }
}
