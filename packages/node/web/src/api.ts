/**
 * Typed fetchers for the explorer's JSON API (packages/node/src/explorer/types.ts), and the hooks
 * the pages read it with. An ApiError answer becomes an ApiRequestError whose message says what
 * went wrong in words.
 */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
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
} from "../../src/explorer/types";

export type * from "../../src/explorer/types";

export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code?: ApiError["error"]["code"],
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

const CODE_WORDS: Record<ApiError["error"]["code"], string> = {
  BAD_PARAMETER: "Bad request",
  NOT_FOUND: "Not found",
  UNKNOWN_ROUTE: "Unknown API route",
  METHOD_NOT_ALLOWED: "Method not allowed",
  URI_REFUSED: "The explorer does not relay this URI",
  FETCH_FAILED: "The bytes could not be read",
  INTERNAL: "The explorer failed",
};

function isApiError(body: unknown): body is ApiError {
  const e = (body as ApiError | null)?.error;
  return typeof e === "object" && e !== null && typeof e.code === "string" && typeof e.message === "string";
}

async function request(path: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, { signal, headers: { accept: "application/json" } });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new ApiRequestError(`Cannot reach the explorer (${err instanceof Error ? err.message : String(err)})`, 0);
  }
  if (res.ok) return res;
  const text = await res.text().catch(() => "");
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (isApiError(body)) throw new ApiRequestError(`${CODE_WORDS[body.error.code] ?? body.error.code}: ${body.error.message}`, res.status, body.error.code);
  throw new ApiRequestError(`The explorer answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ""}`, res.status);
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, signal);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiRequestError(`The explorer's answer to ${path} is not JSON`, res.status);
  }
}

async function getBytes(path: string, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await request(path, signal);
  return new Uint8Array(await res.arrayBuffer());
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : "";
}

export interface JobFilters {
  status?: JobStatusName | "";
  mode?: ModeName | "";
  model?: string;
  node?: string;
  requester?: string;
}

export interface Paging {
  page?: number;
  limit?: number;
}

const seg = encodeURIComponent;

export const jobInputUrl = (id: string): string => `/api/jobs/${seg(id)}/input`;
export const jobOutputUrl = (id: string): string => `/api/jobs/${seg(id)}/output`;
/** Where the explorer proxies the bytes of a URI the chain names. */
export const contentUrl = (uri: string): string => `/api/content${query({ uri })}`;

export const api = {
  config: (signal?: AbortSignal) => getJson<ExplorerConfig>("/api/config", signal),
  summary: (signal?: AbortSignal) => getJson<NetworkSummary>("/api/summary", signal),
  jobs: (f: JobFilters & Paging = {}, signal?: AbortSignal) =>
    getJson<Page<JobSummary>>(`/api/jobs${query({ status: f.status, mode: f.mode, model: f.model, node: f.node, requester: f.requester, page: f.page, limit: f.limit })}`, signal),
  job: (id: string, signal?: AbortSignal) => getJson<JobDetail>(`/api/jobs/${seg(id)}`, signal),
  jobInput: (id: string, signal?: AbortSignal) => getBytes(jobInputUrl(id), signal),
  jobOutput: (id: string, signal?: AbortSignal) => getBytes(jobOutputUrl(id), signal),
  nodes: (p: Paging = {}, signal?: AbortSignal) => getJson<Page<NodeSummary>>(`/api/nodes${query({ page: p.page, limit: p.limit })}`, signal),
  node: (address: string, signal?: AbortSignal) => getJson<NodeDetail>(`/api/nodes/${seg(address)}`, signal),
  models: (p: Paging = {}, signal?: AbortSignal) => getJson<Page<ModelSummary>>(`/api/models${query({ page: p.page, limit: p.limit })}`, signal),
  model: (id: string, signal?: AbortSignal) => getJson<ModelDetail>(`/api/models/${seg(id)}`, signal),
  disputes: (p: Paging = {}, signal?: AbortSignal) => getJson<Page<DisputeSummary>>(`/api/disputes${query({ page: p.page, limit: p.limit })}`, signal),
  dispute: (id: string, signal?: AbortSignal) => getJson<DisputeDetail>(`/api/disputes/${seg(id)}`, signal),
  content: (uri: string, signal?: AbortSignal) => getBytes(contentUrl(uri), signal),
};

export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export interface Loaded<T> {
  data?: T;
  error?: string;
  loading: boolean;
  reload: () => void;
}

/**
 * Loads `load()` when `key` changes (and on `reload()`), cancelling the previous request. With
 * `pollMs`, loads again that long after each answer; the last good data stays shown while a
 * reload runs or fails.
 */
export function useApi<T>(load: (signal: AbortSignal) => Promise<T>, key: string, pollMs?: number): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean; key: string }>({ loading: true, key });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(() => setTick((t) => t + 1), []);

  useEffect(() => {
    const ctl = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState((s) => (s.key === key ? { ...s, loading: true } : { loading: true, key }));
    loadRef
      .current(ctl.signal)
      .then(
        (data) => setState({ data, loading: false, key }),
        (err: unknown) => {
          if (ctl.signal.aborted) return;
          setState((s) => ({ data: s.key === key ? s.data : undefined, error: messageOf(err), loading: false, key }));
        },
      )
      .finally(() => {
        if (pollMs && !ctl.signal.aborted) timer = setTimeout(() => setTick((t) => t + 1), pollMs);
      });
    return () => {
      ctl.abort();
      if (timer) clearTimeout(timer);
    };
  }, [key, tick, pollMs]);

  if (state.key !== key) return { loading: true, reload };
  return { data: state.data, error: state.error, loading: state.loading, reload };
}
