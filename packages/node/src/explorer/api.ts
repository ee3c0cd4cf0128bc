/**
 * The explorer's JSON API: a GET request's path and query in, a status and a JSON body (or bytes)
 * out. It checks every parameter before it reaches a query and answers a bad one with HTTP 400 and
 * a message that says what is accepted; an unknown id with 404; an unknown route with 404 and the
 * list of routes. No input reaches SQL except as a bound, validated value. The routes:
 *
 *   GET /api/config                          ExplorerConfig: chain id, RPC URL, contracts
 *   GET /api/summary                         NetworkSummary
 *   GET /api/jobs?status=&mode=&model=&node=&requester=&page=&limit=
 *                                            Page<JobSummary>, newest first
 *   GET /api/jobs/:id                        JobDetail (its timeline, disputes, payouts, slashes)
 *   GET /api/jobs/:id/input                  the job's input bytes (the tensor codec)
 *   GET /api/jobs/:id/output                 the job's output bytes
 *   GET /api/nodes?page=&limit=              Page<NodeSummary>
 *   GET /api/nodes/:address                  NodeDetail
 *   GET /api/models?page=&limit=             Page<ModelSummary>
 *   GET /api/models/:id                      ModelDetail
 *   GET /api/disputes?page=&limit=           Page<DisputeSummary>
 *   GET /api/disputes/:id                    DisputeDetail
 *   GET /api/content?uri=                    the bytes at a URI the chain names (a model version's,
 *                                            a job's input or output): a browser cannot read file://
 *                                            or a CORS-less host, and checks the hash itself
 *
 * Pages count from 1; `limit` is 1 to MAX_PAGE_SIZE (default DEFAULT_PAGE_SIZE); a page past the
 * last one is a 400 that names the last page.
 */
import { getAddress, isAddress } from "ethers";
import type {
  ApiError,
  DisputeDetail,
  DisputeSummary,
  ExplorerConfig,
  JobDetail,
  JobStatusName,
  JobSummary,
  ModeName,
  ModelDetail,
  ModelSummary,
  NetworkSummary,
  NodeDetail,
  NodeSummary,
  Page,
} from "./types";

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Highest page number accepted at all (a bound on OFFSET before the total is known). */
export const MAX_PAGE = 1_000_000;

const JOB_STATUSES: readonly JobStatusName[] = ["Unassigned", "Assigned", "Submitted", "Disputed", "Finalized", "Refunded"];
const MODES: readonly ModeName[] = ["NONE", "OPTIMISTIC", "QUORUM", "ATTESTED"];

export interface JobFilter {
  status?: JobStatusName;
  mode?: ModeName;
  modelId?: string;
  node?: string;
  requester?: string;
}

/** What the API reads: the indexer's queries (ExplorerQueries) satisfy it. */
export interface ExplorerReader {
  summary(chain: { chainId: number; headBlock: number }): NetworkSummary;
  jobs(filter: JobFilter, page: number, limit: number): Page<JobSummary>;
  job(id: string): JobDetail | undefined;
  nodes(page: number, limit: number): Page<NodeSummary>;
  node(address: string): NodeDetail | undefined;
  models(page: number, limit: number): Page<ModelSummary>;
  model(id: string): ModelDetail | undefined;
  disputes(page: number, limit: number): Page<DisputeSummary>;
  dispute(id: string): DisputeDetail | undefined;
  isKnownUri(uri: string): boolean;
}

/** What the API needs beyond the index: the chain's head, a job's bytes, a URI's bytes. */
export interface ApiContext {
  reader: ExplorerReader;
  config: ExplorerConfig;
  headBlock(): Promise<number>;
  /** The job's input or output bytes, or undefined when it has none (yet). Throws when they cannot be read. */
  jobBytes(job: JobDetail, which: "input" | "output"): Promise<Uint8Array | undefined>;
  /** The bytes at a URI the index knows (isKnownUri was checked). */
  contentOf(uri: string): Promise<Uint8Array>;
}

export type ApiResponse = { status: number; json: unknown } | { status: number; bytes: Uint8Array; contentType: string };

/** A client mistake: answered with `status` and `code`, never logged as a server fault. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiError["error"]["code"],
    message: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new ApiRequestError(400, "BAD_PARAMETER", message);
const notFound = (message: string) => new ApiRequestError(404, "NOT_FOUND", message);

export const ROUTES = [
  "GET /api/config",
  "GET /api/summary",
  "GET /api/jobs?status=&mode=&model=&node=&requester=&page=&limit=",
  "GET /api/jobs/:id",
  "GET /api/jobs/:id/input",
  "GET /api/jobs/:id/output",
  "GET /api/nodes?page=&limit=",
  "GET /api/nodes/:address",
  "GET /api/models?page=&limit=",
  "GET /api/models/:id",
  "GET /api/disputes?page=&limit=",
  "GET /api/disputes/:id",
  "GET /api/content?uri=",
] as const;

/** Answers one API request; never throws (a fault becomes a 500 with its message). */
export async function handleApi(ctx: ApiContext, method: string, url: URL): Promise<ApiResponse> {
  try {
    if (method !== "GET" && method !== "HEAD") throw new ApiRequestError(405, "METHOD_NOT_ALLOWED", `${method} is not allowed: the explorer's API is read-only (GET)`);
    return await route(ctx, url);
  } catch (err) {
    if (err instanceof ApiRequestError) return errorResponse(err.status, err.code, err.message);
    return errorResponse(500, "INTERNAL", `the explorer failed to answer ${url.pathname}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function errorResponse(status: number, code: ApiError["error"]["code"], message: string): ApiResponse {
  const body: ApiError = { error: { code, message } };
  return { status, json: body };
}

async function route(ctx: ApiContext, url: URL): Promise<ApiResponse> {
  const parts = url.pathname.replace(/\/+$/, "").split("/").slice(2); // after "/api"
  const q = url.searchParams;
  const ok = (json: unknown): ApiResponse => ({ status: 200, json });
  const [collection, id, sub] = parts;
  if (parts.length === 1) {
    switch (collection) {
      case "config":
        onlyParams(q, []);
        return ok(ctx.config);
      case "summary":
        onlyParams(q, []);
        return ok(ctx.reader.summary({ chainId: ctx.config.chainId, headBlock: await ctx.headBlock() }));
      case "jobs": {
        onlyParams(q, ["status", "mode", "model", "node", "requester", "page", "limit"]);
        const { page, limit } = paging(q);
        const filter: JobFilter = {
          status: oneOf(q, "status", JOB_STATUSES),
          mode: oneOf(q, "mode", MODES),
          modelId: q.has("model") ? idParam(q.get("model") as string, "model") : undefined,
          node: q.has("node") ? addressParam(q.get("node") as string, "node") : undefined,
          requester: q.has("requester") ? addressParam(q.get("requester") as string, "requester") : undefined,
        };
        return ok(inRange(ctx.reader.jobs(filter, page, limit)));
      }
      case "nodes":
      case "models":
      case "disputes": {
        onlyParams(q, ["page", "limit"]);
        const { page, limit } = paging(q);
        const list = collection === "nodes" ? ctx.reader.nodes(page, limit) : collection === "models" ? ctx.reader.models(page, limit) : ctx.reader.disputes(page, limit);
        return ok(inRange(list as Page<unknown>));
      }
      case "content": {
        onlyParams(q, ["uri"]);
        const uri = q.get("uri");
        if (!uri) throw bad("uri is missing: /api/content?uri=<a model version's URI, or a job's input or output URI>");
        if (!ctx.reader.isKnownUri(uri)) throw notFound(`the chain names no model version, job input or job output at "${uri.slice(0, 200)}" (as far as the index has read): the explorer serves only those`);
        return { status: 200, bytes: await ctx.contentOf(uri), contentType: "application/octet-stream" };
      }
    }
  }
  if (parts.length === 2 || (parts.length === 3 && collection === "jobs" && (sub === "input" || sub === "output"))) {
    onlyParams(q, []);
    switch (collection) {
      case "jobs": {
        const jobId = idParam(id, "job id");
        const job = found(ctx.reader.job(jobId), `there is no job ${jobId} (as far as the index has read): check the id, or wait for the indexer to reach its block`);
        if (sub === "input" || sub === "output") {
          const bytes = await ctx.jobBytes(job, sub);
          if (!bytes) throw notFound(`job ${jobId} has no ${sub} ${sub === "output" ? "yet: no result was posted or revealed" : ""}`.trim());
          return { status: 200, bytes, contentType: "application/octet-stream" };
        }
        return ok(job);
      }
      case "nodes": {
        const address = addressParam(id, "node address");
        return ok(found(ctx.reader.node(address), `no node ${address} has staked, been drawn or been slashed on this deployment`));
      }
      case "models": {
        const modelId = idParam(id, "model id");
        return ok(found(ctx.reader.model(modelId), `there is no model ${modelId} (as far as the index has read)`));
      }
      case "disputes": {
        const disputeId = idParam(id, "dispute id");
        return ok(found(ctx.reader.dispute(disputeId), `there is no dispute ${disputeId} (as far as the index has read)`));
      }
    }
  }
  throw new ApiRequestError(404, "UNKNOWN_ROUTE", `no route ${url.pathname}; the routes are: ${ROUTES.join("; ")}`);
}

function found<T>(value: T | undefined, message: string): T {
  if (value === undefined) throw notFound(message);
  return value;
}

/** Refuses parameters the route does not take (a typo would otherwise be ignored silently). */
function onlyParams(q: URLSearchParams, allowed: readonly string[]): void {
  for (const key of new Set(q.keys())) {
    if (!allowed.includes(key)) throw bad(allowed.length === 0 ? `this route takes no parameters, not "${key}"` : `unknown parameter "${key}": this route takes ${allowed.join(", ")}`);
    if (q.getAll(key).length > 1) throw bad(`parameter "${key}" is given more than once`);
  }
}

function paging(q: URLSearchParams): { page: number; limit: number } {
  return { page: intParam(q, "page", 1, 1, MAX_PAGE), limit: intParam(q, "limit", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE) };
}

function intParam(q: URLSearchParams, name: string, fallback: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return fallback;
  if (!/^[0-9]{1,7}$/.test(raw) || Number(raw) < min || Number(raw) > max) throw bad(`${name} must be a whole number from ${min} to ${max}, not "${raw.slice(0, 40)}"`);
  return Number(raw);
}

/** A page past the last (of a non-empty list) is an error that names the last page. */
function inRange<T>(page: Page<T>): Page<T> {
  if (page.page > 1 && page.page > page.pages) throw bad(`page ${page.page} is past the last page, ${page.pages} (${page.total} items, ${page.limit} a page)`);
  return page;
}

function oneOf<T extends string>(q: URLSearchParams, name: string, values: readonly T[]): T | undefined {
  const raw = q.get(name);
  if (raw === null) return undefined;
  const match = values.find((v) => v.toLowerCase() === raw.toLowerCase());
  if (!match) throw bad(`${name} must be one of ${values.join(", ")}, not "${raw.slice(0, 40)}"`);
  return match;
}

/** A uint256 id in decimal, without leading zeros. */
export function idParam(raw: string | undefined, what: string): string {
  const s = raw ?? "";
  if (!/^(0|[1-9][0-9]{0,77})$/.test(s) || BigInt(s) >= 2n ** 256n) throw bad(`${what} must be a whole number (uint256, decimal), not "${decodeSafe(s).slice(0, 80)}"`);
  return s;
}

export function addressParam(raw: string | undefined, what: string): string {
  const s = raw ?? "";
  if (!/^0x[0-9a-fA-F]{40}$/.test(s) || !isAddress(s.toLowerCase())) throw bad(`${what} must be a 0x-prefixed 20-byte hex address, not "${decodeSafe(s).slice(0, 80)}"`);
  return getAddress(s.toLowerCase());
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
