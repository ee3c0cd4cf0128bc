/**
 * The node's operations endpoint, bound to 127.0.0.1 only (put a reverse proxy in front to expose
 * it): `GET /healthz` says whether the chain watcher is alive, `GET /metrics` is the Prometheus
 * text of the node's registry, and, when the executor publishes outputs by reference,
 * `GET /outputs/<keccak256>` returns one of them (store/outputs.ts). Nothing else is served.
 *
 *   const ops = new OpsServer({ port: 9464, metrics });
 *   await ops.start();
 *   ...
 *   await ops.stop(); // on SIGINT/SIGTERM, after the node's running iteration
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { close, listen } from "./httpServer";
import type { PollStatus, PromNodeMetrics } from "./metrics";
import { readPublished } from "../store/outputs";

/** Default: a poll older than this is unhealthy (a node polls every few seconds when healthy). */
export const DEFAULT_MAX_POLL_AGE_SECONDS = 120;

export const OPS_HOST = "127.0.0.1";

export interface OpsServerOptions {
  /** TCP port; 0 picks a free one (see `port` after start). */
  port: number;
  metrics: Pick<PromNodeMetrics, "lastPoll" | "text" | "contentType">;
  /** Largest age of the last successful poll that is still healthy. Default DEFAULT_MAX_POLL_AGE_SECONDS. */
  maxPollAgeSeconds?: number;
  /** Clock in ms (tests inject one). Default Date.now. */
  now?: () => number;
  /** The OutputPublisher's directory, served at /outputs/<keccak256>; unset: no /outputs/. */
  outputsDir?: string;
}

/** The body of /healthz. `lastPollBlock` and `lastPollAgeSeconds` are null before the first poll. */
export interface Health {
  status: "ok" | "stale";
  lastPollBlock: number | null;
  lastPollAgeSeconds: number | null;
}

/** Healthy when a poll succeeded no more than `maxAgeSeconds` ago. */
export function healthOf(poll: PollStatus | undefined, nowMs: number, maxAgeSeconds: number): Health {
  if (!poll) return { status: "stale", lastPollBlock: null, lastPollAgeSeconds: null };
  const age = Math.max(0, (nowMs - poll.atMs) / 1000);
  return { status: age <= maxAgeSeconds ? "ok" : "stale", lastPollBlock: poll.block, lastPollAgeSeconds: Math.round(age * 1000) / 1000 };
}

export class OpsServer {
  private server: http.Server | undefined;
  private readonly maxPollAge: number;
  private readonly now: () => number;

  constructor(private readonly options: OpsServerOptions) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new RangeError(`opsPort: ${options.port} is not a TCP port (0..65535)`);
    this.maxPollAge = options.maxPollAgeSeconds ?? DEFAULT_MAX_POLL_AGE_SECONDS;
    if (!(this.maxPollAge > 0)) throw new RangeError(`maxPollAgeSeconds: must be positive, got ${this.maxPollAge}`);
    this.now = options.now ?? Date.now;
  }

  /** The bound port (after start). */
  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === "string") throw new Error("OpsServer: not started");
    return (address as AddressInfo).port;
  }

  /** Listens on 127.0.0.1:port; rejects when the port is taken. */
  async start(): Promise<void> {
    if (this.server) throw new Error("OpsServer: already started");
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        else res.destroy();
      });
    });
    // A scraper's idle keep-alive connection must not hold `stop` open.
    server.keepAliveTimeout = 1_000;
    await listen(server, this.options.port, OPS_HOST);
    this.server = server;
  }

  /** Stops accepting, closes idle connections, waits for the ones in flight; the port is free when it resolves. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await close(server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      return send(res, 405, "text/plain; charset=utf-8", "method not allowed\n");
    }
    if (path === "/healthz") {
      const health = healthOf(this.options.metrics.lastPoll(), this.now(), this.maxPollAge);
      return send(res, health.status === "ok" ? 200 : 503, "application/json", `${JSON.stringify(health)}\n`);
    }
    if (path === "/metrics") {
      const { metrics } = this.options;
      return send(res, 200, metrics.contentType, await metrics.text());
    }
    if (path.startsWith("/outputs/") && this.options.outputsDir !== undefined) {
      const bytes = readPublished(this.options.outputsDir, path.slice("/outputs/".length).toLowerCase());
      if (!bytes) return send(res, 404, "text/plain; charset=utf-8", "no such output\n");
      res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length, "Cache-Control": "public, max-age=31536000, immutable" });
      res.end(req.method === "HEAD" ? undefined : bytes);
      return;
    }
    return send(res, 404, "text/plain; charset=utf-8", "not found: try /healthz or /metrics\n");
  }
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(body), "Cache-Control": "no-store" });
  res.end(body);
}
