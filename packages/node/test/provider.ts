import { expect } from "chai";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Network } from "ethers";
import { pinnedJsonRpcProvider, RPC_REQUEST_TIMEOUT_MS } from "../src/chain/provider";

/** An endpoint that accepts every request and answers none (a hung RPC). */
async function silentServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const held: http.ServerResponse[] = [];
  const server = http.createServer((_req, res) => held.push(res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("pinnedJsonRpcProvider", function () {
  it("fails a request the endpoint never answers after its timeout, instead of hanging", async function () {
    const server = await silentServer();
    const provider = pinnedJsonRpcProvider(server.url, Network.from(31337n), { timeoutMs: 300 });
    try {
      const t0 = Date.now();
      let code: unknown;
      try {
        await provider.getBlockNumber();
      } catch (err) {
        code = (err as { code?: unknown }).code;
      }
      expect(code).to.equal("TIMEOUT");
      expect(Date.now() - t0).to.be.below(5_000);
    } finally {
      provider.destroy();
      await server.close();
    }
  });

  it("bounds requests at RPC_REQUEST_TIMEOUT_MS by default, well under ethers' five minutes", function () {
    expect(RPC_REQUEST_TIMEOUT_MS).to.be.at.most(60_000);
    const provider = pinnedJsonRpcProvider("http://127.0.0.1:1", Network.from(31337n));
    try {
      expect((provider._getConnection() as { timeout: number }).timeout).to.equal(RPC_REQUEST_TIMEOUT_MS);
    } finally {
      provider.destroy();
    }
  });
});
