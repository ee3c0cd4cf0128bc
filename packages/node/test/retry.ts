import http from "node:http";
import net from "node:net";
import { expect } from "chai";
import { keccak256, Network, Wallet } from "ethers";
import { backoffDelays, retryTransient, RpcUnavailableError } from "../src/chain/retry";
import { neverReached, transientReason, uncoalescedText } from "../src/chain/transient";
import { pinnedJsonRpcProvider } from "../src/chain/provider";
import { SendOutcomeUnknownError } from "../src/chain/retryingProvider";

const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
const revertData = "0x4e487b710000000000000000000000000000000000000000000000000000000000000001";

/** A sleep that records the waits instead of waiting. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

describe("retryTransient: bounded exponential backoff", function () {
  it("waits 0.5 s, 1 s, 2 s between four attempts by default", function () {
    expect(backoffDelays({ attempts: 4, baseDelayMs: 500 })).to.deep.equal([500, 1000, 2000]);
  });

  it("tries a transient failure again and returns the first success", async function () {
    const { sleep, waits } = recordingSleep();
    let calls = 0;
    const value = await retryTransient("http://rpc", async () => (++calls < 3 ? Promise.reject(refused) : "ok"), { sleep });
    expect(value).to.equal("ok");
    expect(calls).to.equal(3);
    expect(waits).to.deep.equal([500, 1000]);
  });

  it("gives up after the last attempt with RpcUnavailableError naming the endpoint, the attempts and the reason", async function () {
    const { sleep } = recordingSleep();
    let calls = 0;
    const err = await retryTransient("http://rpc:8545", async () => Promise.reject((calls++, refused)), { sleep }).catch((e: unknown) => e);
    expect(calls).to.equal(4);
    expect(err).to.be.instanceOf(RpcUnavailableError);
    expect((err as RpcUnavailableError).message).to.equal("the RPC endpoint http://rpc:8545 did not answer after 4 attempts (ECONNREFUSED); check that the chain is running and the endpoint URL is right");
    expect((err as RpcUnavailableError).cause).to.equal(refused);
  });

  it("throws a failure that is not transient (a revert) at once", async function () {
    const { sleep, waits } = recordingSleep();
    const revert = Object.assign(new Error("execution reverted"), { code: "CALL_EXCEPTION", data: revertData });
    let calls = 0;
    const err = await retryTransient("http://rpc", async () => Promise.reject((calls++, revert)), { sleep }).catch((e: unknown) => e);
    expect(err).to.equal(revert);
    expect(calls).to.equal(1);
    expect(waits).to.deep.equal([]);
  });
});

describe("transientReason: which RPC failures are worth another try", function () {
  const cases: [string, unknown, string | undefined][] = [
    ["a refused connection", refused, "ECONNREFUSED"],
    ["a reset, wrapped as fetch's cause", Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } }), "ECONNRESET"],
    ["ethers' request timeout", { code: "TIMEOUT", message: "request timeout" }, "timeout"],
    ["an abort on timeout", Object.assign(new Error("The operation was aborted due to timeout"), { name: "TimeoutError" }), "timeout"],
    ["HTTP 503", { code: "SERVER_ERROR", info: { responseStatus: "503 Service Unavailable" } }, "HTTP 503"],
    ["HTTP 429", { code: "SERVER_ERROR", info: { responseStatus: "429 Too Many Requests" } }, "HTTP 429"],
    ["HTTP 401 (a wrong URL or key: not transient)", { code: "SERVER_ERROR", info: { responseStatus: "401 Unauthorized" } }, undefined],
    ["'could not coalesce error' wrapping a rate limit", { code: "UNKNOWN_ERROR", error: { code: -32005, message: "limit exceeded" } }, "-32005 limit exceeded"],
    ["'could not coalesce error' wrapping an upstream failure", { code: "UNKNOWN_ERROR", error: { code: -32603, message: "upstream connect error" } }, "upstream connect error"],
    ["'could not coalesce error' wrapping a revert", { code: "UNKNOWN_ERROR", error: { code: -32603, message: "VM Exception: reverted", data: revertData } }, undefined],
    ["a CALL_EXCEPTION", { code: "CALL_EXCEPTION", data: revertData }, undefined],
    ["insufficient funds", { code: "INSUFFICIENT_FUNDS" }, undefined],
  ];
  for (const [what, err, reason] of cases) {
    it(`${reason === undefined ? "not" : reason} for ${what}`, function () {
      expect(transientReason(err)).to.equal(reason);
    });
  }

  it("says a request never reached the endpoint only for a refused connection or a DNS failure", function () {
    expect(neverReached(refused)).to.equal(true);
    expect(neverReached({ cause: { code: "ENOTFOUND" } })).to.equal(true);
    expect(neverReached({ code: "ECONNRESET" })).to.equal(false);
    expect(neverReached({ code: "TIMEOUT" })).to.equal(false);
  });

  it("renders a 'could not coalesce error' as the endpoint's own code and message", function () {
    const err = Object.assign(new Error("could not coalesce error"), { code: "UNKNOWN_ERROR", error: { code: -32000, message: "header not found" }, payload: { method: "eth_call" } });
    expect(uncoalescedText(err)).to.equal("the RPC endpoint answered eth_call with error -32000: header not found");
    expect(uncoalescedText(new Error("other"))).to.equal(undefined);
  });
});

/** A JSON-RPC server on 127.0.0.1 whose answer to each request `reply` decides. */
class FakeRpc {
  readonly methods: string[] = [];
  private server: http.Server | undefined;
  constructor(private readonly reply: (method: string, n: number, res: http.ServerResponse, req: http.IncomingMessage) => void) {}

  async listen(port = 0): Promise<number> {
    this.server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const payload = JSON.parse(body) as { method: string; id: number } | { method: string; id: number }[];
        const first = Array.isArray(payload) ? payload[0] : payload;
        this.methods.push(first.method);
        this.reply(first.method, this.methods.length, res, req);
      });
    });
    await new Promise<void>((r) => this.server?.listen(port, "127.0.0.1", r));
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

/** Answers `result` (or a JSON-RPC `error`) to every request of the batch in `res`'s request. */
function answer(res: http.ServerResponse, body: { result?: unknown; error?: unknown }): void {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify([{ jsonrpc: "2.0", id: 1, ...body }]));
}

/** A port nothing listens on (yet). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const FAST = { attempts: 4, baseDelayMs: 100 };

/**
 * The provider with one request id fixed: ethers numbers requests from 1, and FakeRpc answers
 * with id 1, so every test sends exactly one request per provider.
 */
function providerAt(port: number) {
  return pinnedJsonRpcProvider(`http://127.0.0.1:${port}`, Network.from(31337), { retry: FAST });
}

describe("the retrying provider against a local HTTP server", function () {
  const servers: FakeRpc[] = [];
  afterEach(async function () {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it("reads through an endpoint that refuses connections, then answers", async function () {
    const port = await freePort();
    const server = new FakeRpc((_m, _n, res) => answer(res, { result: "0x2a" }));
    servers.push(server);
    const provider = providerAt(port);
    setTimeout(() => void server.listen(port), 150); // the first attempt is refused
    expect(await provider.getBlockNumber()).to.equal(42);
    expect(server.methods).to.deep.equal(["eth_blockNumber"]);
    provider.destroy();
  });

  it("reads through HTTP 503 twice and an overloaded endpoint's error answer", async function () {
    const server = new FakeRpc((_m, n, res) => {
      if (n <= 2) return void res.writeHead(503).end("busy");
      if (n === 3) return answer(res, { error: { code: -32005, message: "rate limited" } });
      answer(res, { result: "0x7" });
    });
    servers.push(server);
    const provider = providerAt(await server.listen());
    expect(await provider.getBlockNumber()).to.equal(7);
    expect(server.methods).to.have.length(4);
    provider.destroy();
  });

  it("reads through a request that timed out", async function () {
    const server = new FakeRpc((_m, n, res) => (n === 1 ? undefined : answer(res, { result: "0x3" })));
    servers.push(server);
    const port = await server.listen();
    const provider = pinnedJsonRpcProvider(`http://127.0.0.1:${port}`, Network.from(31337), { retry: FAST, timeoutMs: 200 });
    expect(await provider.getBlockNumber()).to.equal(3);
    expect(server.methods).to.have.length(2);
    provider.destroy();
  });

  it("gives up on an endpoint that stays down with RpcUnavailableError", async function () {
    const port = await freePort();
    const provider = providerAt(port);
    const err = await provider.getBlockNumber().catch((e: unknown) => e);
    expect(err).to.be.instanceOf(RpcUnavailableError);
    expect((err as RpcUnavailableError).message).to.match(new RegExp(`^the RPC endpoint http://127\\.0\\.0\\.1:${port} did not answer after 4 attempts \\(ECONNREFUSED\\)`));
    provider.destroy();
  });

  it("does not try a revert again", async function () {
    const server = new FakeRpc((_m, _n, res) => answer(res, { error: { code: 3, message: "execution reverted", data: revertData } }));
    servers.push(server);
    const provider = providerAt(await server.listen());
    const err = await provider.call({ to: Wallet.createRandom().address, data: "0x" }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).to.equal("CALL_EXCEPTION");
    expect(server.methods).to.deep.equal(["eth_call"]);
    provider.destroy();
  });

  describe("a transaction", function () {
    async function signed(): Promise<string> {
      return Wallet.createRandom().signTransaction({ to: Wallet.createRandom().address, chainId: 31337, nonce: 0, gasLimit: 21_000, gasPrice: 1 });
    }

    it("is sent again when the connection was refused (it never reached the endpoint), and only once reaches it", async function () {
      const port = await freePort();
      const raw = await signed();
      const server = new FakeRpc((_m, _n, res) => answer(res, { result: keccak256(raw) }));
      servers.push(server);
      const provider = providerAt(port);
      setTimeout(() => void server.listen(port), 150);
      expect(await provider.send("eth_sendRawTransaction", [raw])).to.equal(keccak256(raw));
      expect(server.methods).to.deep.equal(["eth_sendRawTransaction"]);
      provider.destroy();
    });

    it("is not sent again when the endpoint took it but did not answer in time", async function () {
      const raw = await signed();
      const server = new FakeRpc(() => undefined); // takes the request, never answers
      servers.push(server);
      const port = await server.listen();
      const provider = pinnedJsonRpcProvider(`http://127.0.0.1:${port}`, Network.from(31337), { retry: FAST, timeoutMs: 200 });
      const err = await provider.send("eth_sendRawTransaction", [raw]).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SendOutcomeUnknownError);
      expect((err as SendOutcomeUnknownError).reason).to.equal("timeout");
      expect((err as SendOutcomeUnknownError).hash).to.equal(keccak256(raw));
      expect(server.methods).to.deep.equal(["eth_sendRawTransaction"]);
      provider.destroy();
    });

    it("is not sent again when the endpoint dropped the connection after taking it, and the error names its hash", async function () {
      const raw = await signed();
      const server = new FakeRpc((_m, _n, res, req) => void (res.destroy(), req.socket.destroy()));
      servers.push(server);
      const port = await server.listen();
      const provider = providerAt(port);
      const err = await provider.send("eth_sendRawTransaction", [raw]).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(SendOutcomeUnknownError);
      expect((err as Error).message).to.equal(
        `the RPC endpoint http://127.0.0.1:${port} failed while taking transaction ${keccak256(raw)} (ECONNRESET); it may have been accepted: look that hash up before sending again`,
      );
      expect(server.methods).to.deep.equal(["eth_sendRawTransaction"]);
      provider.destroy();
    });
  });
});
