/**
 * The ports the devnet and its tests listen on (scripts/devnet/chain.ts freePortRun), and the log
 * a node that fails to start leaves in the error (scripts/devnet/nodes.ts logTail).
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { freePort, freePortRun } from "../../scripts/devnet/chain";
import { logTail } from "../../scripts/devnet/nodes";

function ephemeralLow(): number {
  try {
    return Number(fs.readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
  } catch {
    return 32_768;
  }
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

describe("devnet ports: freePortRun", function () {
  it("gives a run of ports below the kernel's ephemeral range, every one of them free to listen on", async function () {
    const first = await freePortRun(8);
    expect(first + 8).to.be.at.most(ephemeralLow());
    const servers = await Promise.all(Array.from({ length: 8 }, (_, i) => listen(first + i)));
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it("never hands out a port twice in one process, so devnets of one test run do not clash", async function () {
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const first = await freePortRun(4);
      for (let p = first; p < first + 4; p++) {
        expect(seen.has(p), `port ${p} handed out twice`).to.equal(false);
        seen.add(p);
      }
    }
    const single = await freePort();
    expect(seen.has(single)).to.equal(false);
  });
});

describe("devnet start-up errors: logTail", function () {
  it("quotes the last lines of a process's log, each marked, long lines cut", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-logtail-"));
    try {
      const file = path.join(dir, "verifier-2.log");
      const lines = Array.from({ length: 30 }, (_, i) => `line ${i}`);
      lines.push("x".repeat(1_000));
      fs.writeFileSync(file, `${lines.join("\n")}\n`);
      const tail = logTail(file, 3).split("\n");
      expect(tail).to.have.length(3);
      expect(tail[0]).to.equal("  | line 28");
      expect(tail[1]).to.equal("  | line 29");
      expect(tail[2]).to.equal(`  | ${"x".repeat(400)}...`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says there is no log when the file is missing, instead of throwing over the real error", function () {
    expect(logTail(path.join(os.tmpdir(), "glassbox-no-such-dir", "x.log"), 5)).to.match(/^\(no log: ENOENT/);
  });
});
