/**
 * A TCP proxy between the nodes and the chain that can refuse connections (the listener closed
 * and every open connection destroyed, so clients get ECONNREFUSED/ECONNRESET) and add latency
 * (every chunk from a client is held `latencyMs` before it goes on, so each JSON-RPC request is
 * answered that much later).
 */
import net from "node:net";

export class ChaosProxy {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  latencyMs = 0;
  /** Connections accepted since start (to show the nodes came back). */
  accepted = 0;

  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or resumes) accepting connections on `port`. */
  async open(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((client) => this.pipe(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Refuses: stops listening and destroys every open connection. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private pipe(client: net.Socket): void {
    this.accepted++;
    const upstream = net.connect(this.target.port, this.target.host);
    this.sockets.add(client);
    this.sockets.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    upstream.on("data", (chunk) => client.write(chunk));
    // Chunks keep their order: each waits for the one before it, then for the latency.
    let queue = Promise.resolve();
    client.on("data", (chunk) => {
      const delay = this.latencyMs;
      queue = queue.then(() => (delay > 0 ? new Promise<void>((r) => setTimeout(r, delay)) : undefined)).then(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
  }
}
