/**
 * A JSON-RPC provider that tries transient failures again (chain/retry.ts) below ethers, so that
 * every read (calls, estimates, blocks, logs, receipts) survives a refused connection, a timeout,
 * an HTTP 429/5xx or an overloaded endpoint's error answer.
 *
 * A transaction is different: once the endpoint may have it, sending it again could at best be
 * refused ("already known", "nonce too low") and hide that the first one was taken. So a batch
 * holding eth_sendRawTransaction is tried again only when the failure happened before the request
 * reached the endpoint (connection refused, DNS); any other transient failure of a send throws
 * SendOutcomeUnknownError with the transaction's hash, to be looked up before sending again.
 */
import { JsonRpcProvider, keccak256, type FetchRequest, type JsonRpcApiProviderOptions, type JsonRpcError, type JsonRpcPayload, type JsonRpcResult, type Network } from "ethers";
import { retryTransient, type RetryOptions } from "./retry";
import { neverReached, transientReason, transientRpcError, TransientRpcAnswer } from "./transient";

/** Thrown when a transaction's send failed after the endpoint may have taken it. */
export class SendOutcomeUnknownError extends Error {
  constructor(
    readonly endpoint: string,
    readonly hash: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`the RPC endpoint ${endpoint} failed while taking transaction ${hash} (${reason}); it may have been accepted: look that hash up before sending again`, options);
    this.name = "SendOutcomeUnknownError";
  }
}

const SEND_METHODS = new Set(["eth_sendRawTransaction", "eth_sendTransaction"]);

export class RetryingJsonRpcProvider extends JsonRpcProvider {
  constructor(
    private readonly endpoint: string,
    request: FetchRequest,
    network: Network,
    options: JsonRpcApiProviderOptions,
    private readonly retry: Partial<RetryOptions> = {},
  ) {
    super(request, network, options);
  }

  // ethers types the answers as results only; at run time an error answer is among them too.
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const list = Array.isArray(payload) ? payload : [payload];
    const send = list.find((p) => SEND_METHODS.has(p.method));
    if (!send) {
      return retryTransient(this.endpoint, async () => {
        const answers = await super._send(payload);
        const transient = answers.map((a) => transientRpcError((a as Partial<JsonRpcError>).error)).find((r) => r !== undefined);
        if (transient !== undefined) throw new TransientRpcAnswer(transient);
        return answers;
      }, this.retry);
    }
    try {
      return await retryTransient(this.endpoint, () => super._send(payload), this.retry, (err) => (neverReached(err) ? transientReason(err) : undefined));
    } catch (err) {
      const reason = neverReached(err) ? undefined : transientReason(err);
      if (reason === undefined) throw err;
      const raw = Array.isArray(send.params) && typeof send.params[0] === "string" ? send.params[0] : undefined;
      throw new SendOutcomeUnknownError(this.endpoint, raw ? keccak256(raw) : "(unknown hash)", reason, { cause: err });
    }
  }
}
