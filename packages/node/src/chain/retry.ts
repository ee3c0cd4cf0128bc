/**
 * Bounded exponential backoff for transient RPC failures: `attempts` tries, waiting `baseDelayMs`,
 * then twice that, and so on, between them. A failure that is not transient (a revert, a bad
 * argument) is thrown at once; one that is still transient after the last attempt becomes
 * RpcUnavailableError, which names the endpoint and the last reason.
 */
import { transientReason } from "./transient";

export interface RetryOptions {
  /** Tries in all, the first included (>= 1). */
  attempts: number;
  /** Wait before the second try; each later wait doubles. */
  baseDelayMs: number;
  /** How to wait (tests: no real time). */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 500 };

/** Thrown when an endpoint still failed transiently after every attempt. */
export class RpcUnavailableError extends Error {
  constructor(
    readonly endpoint: string,
    readonly attempts: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the RPC endpoint ${endpoint} did not answer after ${attempts} attempt${attempts === 1 ? "" : "s"} (${reason}); check that the chain is running and the endpoint URL is right`, options);
    this.name = "RpcUnavailableError";
  }
}

/** The waits between the attempts: base, 2 x base, 4 x base, ... (attempts - 1 of them). */
export function backoffDelays(options: RetryOptions): number[] {
  return Array.from({ length: Math.max(0, options.attempts - 1) }, (_, i) => options.baseDelayMs * 2 ** i);
}

/**
 * Runs `fn` until it succeeds, fails for a reason `retryable` does not name, or has failed
 * transiently `attempts` times. `retryable` returns the reason a failure is worth another try.
 */
export async function retryTransient<T>(endpoint: string, fn: () => Promise<T>, options: Partial<RetryOptions> = {}, retryable: (err: unknown) => string | undefined = transientReason): Promise<T> {
  const o: RetryOptions = { ...DEFAULT_RETRY, ...options };
  if (!(o.attempts >= 1)) throw new Error("attempts must be at least 1");
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const delays = backoffDelays(o);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const reason = retryable(err);
      if (reason === undefined) throw err;
      if (attempt >= o.attempts) throw new RpcUnavailableError(endpoint, attempt, reason, { cause: err });
      await sleep(delays[attempt - 1]);
    }
  }
}
