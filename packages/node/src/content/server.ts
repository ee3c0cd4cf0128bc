/**
 * A content store over HTTP: bytes kept in a directory under their keccak256 and served back.
 *
 *   PUT  /<keccak256>   (or POST) the bytes; kept only if their keccak256 is the one in the path
 *                       and they are at most `maxBytes`: 201 Created, 200 when already kept,
 *                       400 for a path that is not a hash, an empty body or other bytes,
 *                       413 above `maxBytes`
 *   GET  /<keccak256>   (or HEAD) the bytes: 200, 404 when unknown, 400 for a path that is not a hash
 *   GET  /healthz       200 while listening
 *
 * A hash is `0x` + 64 lowercase hex digits (address.ts). It is what a requester's client
 * (client.ts) publishes large job inputs to, and what the devnet runs on 127.0.0.1. There is no
 * authentication: anyone who can reach it can store up to `maxBytes` per upload, so a public one
 * belongs behind a proxy that authenticates uploads; reads are safe to expose (the bytes are
 * checked by hash anyway).
 *
 *   const store = new ContentStoreServer({ dir: ".devnet/content", port: 9470 });
 *   await store.start(); // store.url is http://127.0.0.1:9470
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { close, listen } from "../ops/httpServer";
import path from "node:path";
import { keccak256 } from "ethers";
import { DEFAULT_NODE_MAX_INPUT_BYTES } from "../limits";
import { isContentHash } from "./address";

export interface ContentStoreOptions {
  /** Where the bytes are kept, one file per hash. Created if missing. */
  dir: string;
  /** TCP port; 0 picks a free one (see `port` after start). */
  port: number;
  /** Address to listen on. Default 127.0.0.1 (put a proxy in front to expose it). */
  host?: string;
  /** Largest upload kept, in bytes. Default DEFAULT_NODE_MAX_INPUT_BYTES (what a node fetches by default). */
  maxBytes?: number;
}

const TEXT = "text/plain; charset=utf-8";

export class ContentStoreServer {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly host: string;
  private server: http.Server | undefined;
  private uploads = 0;

  constructor(private readonly options: ContentStoreOptions) {
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new RangeError(`content store port: ${options.port} is not a TCP port (0..65535)`);
    const maxBytes = options.maxBytes ?? DEFAULT_NODE_MAX_INPUT_BYTES;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError(`content store maxBytes: ${maxBytes} is not a positive integer`);
    this.dir = options.dir;
    this.maxBytes = maxBytes;
    this.host = options.host ?? "127.0.0.1";
  }

  /** The bound port (after start). */
  get port(): number {
    const address = this.server?.address();
    if (!address || typeof address === "string") throw new Error("ContentStoreServer: not started");
    return (address as AddressInfo).port;
  }

  /** The store's base URL (after start): what a client publishes to. */
  get url(): string {
    const host = this.host.includes(":") ? `[${this.host}]` : this.host;
    return `http://${host}:${this.port}`;
  }

  /** Creates the directory and listens; rejects when the port is taken. */
  async start(): Promise<void> {
    if (this.server) throw new Error("ContentStoreServer: already started");
    fs.mkdirSync(this.dir, { recursive: true });
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 1_000;
    await listen(server, this.options.port, this.host);
    this.server = server;
  }

  /** Stops accepting and waits for the requests in flight; the port is free when it resolves. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await close(server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const name = (req.url ?? "/").split("?")[0].replace(/^\/+/, "");
    const method = req.method ?? "GET";
    if (name === "healthz" && (method === "GET" || method === "HEAD")) return send(res, 200, "ok\n");
    if (!["GET", "HEAD", "PUT", "POST"].includes(method)) {
      res.setHeader("Allow", "GET, HEAD, PUT, POST");
      return refuse(req, res, 405, `method ${method} not allowed: GET or HEAD /<keccak256> reads, PUT or POST /<keccak256> stores\n`);
    }
    if (!isContentHash(name)) {
      return refuse(req, res, 400, `not a content hash: "${name.slice(0, 80)}"; the path must be /0x followed by the 64 lowercase hex digits of the bytes' keccak256\n`);
    }
    if (method === "GET" || method === "HEAD") return this.serve(name, method, res);
    return this.store(name, req, res);
  }

  private async serve(hash: string, method: string, res: http.ServerResponse): Promise<void> {
    let bytes: Buffer;
    try {
      bytes = await fs.promises.readFile(path.join(this.dir, hash));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return send(res, 404, `no content with keccak256 ${hash} here\n`);
      throw err;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": bytes.length, "Cache-Control": "public, max-age=31536000, immutable" });
    res.end(method === "HEAD" ? undefined : bytes);
  }

  private async store(hash: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const tooLarge = () => refuse(req, res, 413, `the upload is larger than this store's limit of ${this.maxBytes} bytes\n`);
    const declared = Number(req.headers["content-length"] ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBytes) return tooLarge();
    const body = await readBody(req, this.maxBytes);
    if (body === "tooLarge") return tooLarge();
    if (body.length === 0) return send(res, 400, "the body is empty: upload the bytes themselves\n");
    const actual = keccak256(body);
    if (actual !== hash) return send(res, 400, `the body's ${body.length} bytes have keccak256 ${actual}, not the ${hash} of the path: upload them to /${actual}\n`);
    const file = path.join(this.dir, hash);
    if (fs.existsSync(file)) return sendJson(res, 200, { hash, size: body.length });
    // Written aside and renamed: a reader never sees a partial file.
    const tmp = `${file}.${process.pid}.${++this.uploads}.tmp`;
    await fs.promises.writeFile(tmp, body);
    await fs.promises.rename(tmp, file);
    return sendJson(res, 201, { hash, size: body.length });
  }
}

/** The request's body, or "tooLarge" as soon as more than `maxBytes` arrived (the rest is not buffered). */
function readBody(req: http.IncomingMessage, maxBytes: number): Promise<Buffer | "tooLarge"> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    req.on("data", (chunk: Buffer) => {
      if (settled) return;
      total += chunk.length;
      if (total > maxBytes) {
        settled = true;
        resolve("tooLarge");
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, total));
    });
    req.on("error", (err) => {
      if (settled) return;
      settled = true;
      reject(err);
    });
  });
}

/** Answers and closes the connection: a body left unread is not waited for. */
function refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, text: string): void {
  res.setHeader("Connection", "close");
  send(res, status, text);
  req.resume();
}

function send(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "Content-Type": TEXT, "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown): void {
  const text = `${JSON.stringify(value)}\n`;
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), "Cache-Control": "no-store" });
  res.end(text);
}
