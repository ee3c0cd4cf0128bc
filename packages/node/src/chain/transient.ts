/**
 * Which RPC failures are transient (worth the same request again a moment later) and which are
 * answers (a revert, a bad argument, a refused key). Transient: a connection refused, reset or
 * timed out, a DNS failure, HTTP 429 or 5xx, and a JSON-RPC error whose text says the endpoint was
 * overloaded or its upstream failed (the cases ethers reports as "could not coalesce error").
 * Never transient: anything that carries revert data or says "revert".
 */

/** Node socket errors that mean the request never reached the endpoint. */
const NOT_REACHED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);
/** Node socket errors after which the endpoint may or may not have the request. */
const MAYBE_REACHED = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "UND_ERR_SOCKET", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);
/** JSON-RPC error text of an endpoint that is overloaded or lost its upstream. */
const TRANSIENT_TEXT = /timed? ?out|rate.?limit|too many requests|temporar|unavailable|try again|overload|busy|upstream|bad gateway|gateway|socket hang up|ECONNRESET|ECONNREFUSED|header not found|internal server error/i;
/** JSON-RPC codes that say "later": -32005 limit exceeded, 429 (some gateways). */
const TRANSIENT_CODES = new Set([-32005, 429]);

type Fields = Record<string, unknown>;
const fields = (v: unknown): Fields | undefined => (typeof v === "object" && v !== null ? (v as Fields) : undefined);

/** The socket error code in `err` or what it wraps (`cause`, `error`), if any. */
function socketCode(err: unknown, depth = 0): string | undefined {
  const f = fields(err);
  if (!f || depth > 4) return undefined;
  if (typeof f.code === "string" && (NOT_REACHED.has(f.code) || MAYBE_REACHED.has(f.code))) return f.code;
  return socketCode(f.cause, depth + 1) ?? socketCode(f.error, depth + 1);
}

/** The HTTP status of a failed response in `err` (ethers' SERVER_ERROR, or a `status` field). */
function httpStatus(err: unknown): number | undefined {
  const f = fields(err);
  if (!f) return undefined;
  if (typeof f.status === "number") return f.status;
  const info = fields(f.info);
  const status = info?.responseStatus;
  if (typeof status === "string") return Number.parseInt(status, 10) || undefined;
  const response = fields(f.response) ?? fields(info?.response);
  return typeof response?.statusCode === "number" ? response.statusCode : undefined;
}

/** True when `text` or `data` says the call reverted. */
function looksLikeRevert(e: Fields): boolean {
  const data = e.data;
  const hex = typeof data === "string" ? data : typeof fields(data)?.data === "string" ? (fields(data)?.data as string) : undefined;
  return /revert/i.test(String(e.message ?? "")) || (hex !== undefined && /^0x[0-9a-fA-F]{8,}$/.test(hex));
}

/**
 * Why a JSON-RPC error answer (`{ code, message, data }`) is transient, or undefined when it is a
 * real answer (a revert, a bad request).
 */
export function transientRpcError(error: unknown): string | undefined {
  const e = fields(error);
  if (!e || looksLikeRevert(e)) return undefined;
  const message = typeof e.message === "string" ? e.message : "";
  if (typeof e.code === "number" && TRANSIENT_CODES.has(e.code)) return `${e.code} ${message}`.trim();
  return TRANSIENT_TEXT.test(message) ? message : undefined;
}

/**
 * Why `err` is a transient RPC failure, in a few words ("ECONNREFUSED", "timeout", "HTTP 503",
 * the endpoint's own text), or undefined when it is not transient.
 */
export function transientReason(err: unknown): string | undefined {
  const f = fields(err);
  if (!f) return undefined;
  if (f.code === "CALL_EXCEPTION") return undefined;
  const code = socketCode(err);
  if (code) return code;
  if (f.code === "TIMEOUT" || f.name === "TimeoutError" || f.name === "AbortError") return "timeout";
  const status = httpStatus(err);
  if (status !== undefined) return status === 429 || status >= 500 ? `HTTP ${status}` : undefined;
  if (f.code === "SERVER_ERROR") return "a bad response";
  // ethers' "could not coalesce error": a JSON-RPC error answer it has no name for, in `error`.
  if (f.code === "UNKNOWN_ERROR") return transientRpcError(f.error);
  if (err instanceof TransientRpcAnswer) return err.message;
  return undefined;
}

/** True when `err` shows the request never reached the endpoint: nothing it carried can have been accepted. */
export function neverReached(err: unknown): boolean {
  const code = socketCode(err);
  return code !== undefined && NOT_REACHED.has(code);
}

/** Thrown for a JSON-RPC error answer that is transient, so that the request is tried again. */
export class TransientRpcAnswer extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "TransientRpcAnswer";
  }
}

/**
 * A person's line for a JSON-RPC error answer that ethers could not name ("could not coalesce
 * error"): the method and the endpoint's own code and message. Undefined for other errors.
 */
export function uncoalescedText(err: unknown): string | undefined {
  const f = fields(err);
  if (!f || f.code !== "UNKNOWN_ERROR") return undefined;
  const inner = fields(f.error);
  const method = fields(f.payload)?.method;
  const what = typeof method === "string" ? `${method}` : "a request";
  if (!inner) return `the RPC endpoint failed ${what} without saying why`;
  const code = inner.code === undefined ? "" : ` ${String(inner.code)}`;
  const message = typeof inner.message === "string" ? inner.message : JSON.stringify(inner);
  return `the RPC endpoint answered ${what} with error${code}: ${message}`;
}
