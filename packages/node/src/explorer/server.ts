/**
 * The explorer's HTTP server: the JSON API under /api (api.ts), the web pages' built files under
 * /assets, and index.html for every other path (the pages route on the client). Read-only: any
 * method but GET and HEAD is refused. Files are served only from inside the built web folder.
 *
 *   const server = new ExplorerServer({ api, webDir, port: 9480 });
 *   await server.start(); // server.url is http://127.0.0.1:9480
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { close, listen } from "../ops/httpServer";
import { errorResponse, handleApi, type ApiContext, type ApiResponse } from "./api";

export interface ExplorerServerOptions {
  api: ApiContext;
  /** The built pages (scripts/build-explorer.js writes packages/node/web/dist). */
  webDir: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Called with each request's method, path, status and milliseconds (for a log). */
  onRequest?: (line: { method: string; path: string; status: number; ms: number }) => void;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/** Where the built pages are, next to this package's sources or its compiled dist/. */
export const DEFAULT_WEB_DIR = path.resolve(__dirname, "..", "..", "web", "dist");

export class ExplorerServer {
  private server: http.Server | undefined;
  private boundPort = 0;

  constructor(private readonly options: ExplorerServerOptions) {}

  get url(): string {
    return `http://${this.options.host ?? "127.0.0.1"}:${this.boundPort}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    await listen(server, this.options.port, this.options.host ?? "127.0.0.1");
    this.server = server;
    this.boundPort = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    if (this.server) await close(this.server);
    this.server = undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = Date.now();
    const method = req.method ?? "GET";
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://explorer.invalid");
    } catch {
      url = new URL("http://explorer.invalid/");
    }
    let status = 500;
    try {
      if (url.pathname === "/api" || url.pathname.startsWith("/api/")) {
        status = send(res, method, await handleApi(this.options.api, method, url));
      } else if (method !== "GET" && method !== "HEAD") {
        status = send(res, method, errorResponse(405, "METHOD_NOT_ALLOWED", `${method} is not allowed: the explorer is read-only (GET)`));
      } else {
        status = this.serveFile(res, method, url.pathname);
      }
    } catch (err) {
      status = send(res, method, errorResponse(500, "INTERNAL", err instanceof Error ? err.message : String(err)));
    }
    this.options.onRequest?.({ method, path: url.pathname, status, ms: Date.now() - started });
  }

  /** A built asset, or index.html for a page's path; 404 for a missing asset. */
  private serveFile(res: http.ServerResponse, method: string, pathname: string): number {
    const root = this.options.webDir;
    const index = path.join(root, "index.html");
    if (!fs.existsSync(index)) {
      res.writeHead(503, { "content-type": TYPES[".html"] });
      res.end(method === "HEAD" ? undefined : `<!doctype html><title>Glassbox explorer</title><p>The explorer's pages are not built in ${root}: run <code>npm run build:explorer</code> in the repository (the API under <a href="/api/summary">/api</a> works without them).</p>`);
      return 503;
    }
    let file = index;
    if (pathname.startsWith("/assets/")) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        decoded = "";
      }
      const candidate = path.resolve(root, "." + decoded);
      // INVARIANT: only files inside the built folder are served (no `..` out of it).
      if (!decoded || !candidate.startsWith(root + path.sep) || !fs.existsSync(candidate) || !fs.statSync(candidate).isFile()) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end(method === "HEAD" ? undefined : `no asset ${pathname}`);
        return 404;
      }
      file = candidate;
    }
    const bytes = fs.readFileSync(file);
    res.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
      "content-length": bytes.length,
      // Hashed names are not used: assets are revalidated, pages never cached.
      "cache-control": "no-cache",
    });
    res.end(method === "HEAD" ? undefined : bytes);
    return 200;
  }
}

function send(res: http.ServerResponse, method: string, response: ApiResponse): number {
  const headers: http.OutgoingHttpHeaders = { "access-control-allow-origin": "*", "cache-control": "no-store" };
  let body: Uint8Array;
  if ("bytes" in response) {
    headers["content-type"] = response.contentType;
    body = response.bytes;
  } else {
    headers["content-type"] = "application/json; charset=utf-8";
    body = Buffer.from(JSON.stringify(response.json));
  }
  headers["content-length"] = body.length;
  res.writeHead(response.status, headers);
  res.end(method === "HEAD" ? undefined : body);
  return response.status;
}
