import { expect } from "chai";
import { keccak256 } from "ethers";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  DigestMismatchError,
  FetchError,
  ModelStore,
  ModelStoreError,
  ModelTooLargeError,
  UnsupportedUriError,
  type ModelRef,
  type StoreLogLine,
} from "../src/store/modelStore";
import { DEFAULT_MAX_INPUT_BYTES, InputFetchError, InputSource, type InputRef } from "../src/store/inputs";
import { isPublicAddress, readUri } from "../src/store/sources";

const CID = "bafkreidgvpkjawlxz6sffxzwgooowe5yt7i6wsyg236mfoks77nywkptdq";
const MODEL_NAME = /model 7 version 2/;

const sha256 = (bytes: Uint8Array): string => `0x${createHash("sha256").update(bytes).digest("hex")}`;

/** The error a promise rejects with; fails the test if it resolves. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).to.be.instanceOf(Error);
    return err as Error;
  }
  expect.fail("expected a rejection, but the promise resolved");
}

/** What the local test server serves and what it saw; only ever bound to 127.0.0.1. */
interface TestServer {
  url: string;
  requests: string[];
  /** Resolves once an endless body's connection was closed by the client. */
  endlessClosed: Promise<number>;
  close(): Promise<void>;
}

async function startServer(model: Uint8Array): Promise<TestServer> {
  const requests: string[] = [];
  let endlessDone: (sent: number) => void = () => undefined;
  const endlessClosed = new Promise<number>((resolve) => (endlessDone = resolve));
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    const route = req.url ?? "";
    if (route === "/model.onnx" || route === `/ipfs/${CID}/model.onnx` || route === `/ipfs/${CID}`) {
      // Trickled in small chunks so that concurrent downloads interleave.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      let at = 0;
      const step = () => {
        if (at >= model.length) return void res.end();
        res.write(model.subarray(at, at + 4096));
        at += 4096;
        setImmediate(step);
      };
      step();
    } else if (route === "/endless") {
      // No Content-Length and no end: only a store that counts while streaming can stop.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      const chunk = Buffer.alloc(64 * 1024, 0xab);
      let sent = 0;
      res.on("close", () => endlessDone(sent));
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once("drain", pump);
      };
      pump();
    } else if (route === "/declared-huge") {
      res.writeHead(200, { "content-length": String(1 << 30) });
      res.write(Buffer.alloc(1024));
    } else if (route === "/redirect") {
      res.writeHead(302, { location: "/model.onnx" }).end();
    } else if (route === "/silent") {
      // Never answers: the store's timeout must end the request.
    } else {
      res.writeHead(404).end("not here");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    endlessClosed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("ModelStore", function () {
  this.timeout(20_000);

  const model = new Uint8Array(randomBytes(100_000));
  const digest = sha256(model);
  let dir: string;
  let sourceFile: string;
  let cacheDir: string;
  let server: TestServer;
  let logs: StoreLogLine[];
  let store: ModelStore;

  const ref = (uri: string, overrides: Partial<ModelRef> = {}): ModelRef => ({ id: 7n, version: 2, digest, uri, ...overrides });
  const cacheFile = () => path.join(cacheDir, `${digest.slice(2)}.onnx`);

  before(async function () {
    server = await startServer(model);
  });

  after(async function () {
    await server.close();
  });

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-store-"));
    sourceFile = path.join(dir, "model.onnx");
    fs.writeFileSync(sourceFile, model);
    cacheDir = path.join(dir, "cache");
    logs = [];
    store = new ModelStore(cacheDir, { ipfsGateway: `${server.url}/ipfs/`, timeoutMs: 2_000, log: (line) => logs.push(line) });
    server.requests.length = 0;
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe("file:// models", function () {
    it("returns the bytes of a file whose SHA-256 is the registered digest and caches them under the digest", async function () {
      const bytes = await store.fetch(ref(pathToFileURL(sourceFile).href));
      expect(Buffer.from(bytes).equals(model)).to.equal(true);
      expect(sha256(fs.readFileSync(cacheFile()))).to.equal(digest);
      expect(logs.map((l) => l.msg)).to.deep.equal(["fetched"]);
    });

    it("refuses a file larger than maxBytes, naming the model and the limit, and caches nothing", async function () {
      const err = await rejection(store.fetch(ref(pathToFileURL(sourceFile).href), { maxBytes: 1000 }));
      expect(err).to.be.instanceOf(ModelTooLargeError);
      expect(err.message).to.match(MODEL_NAME).and.match(/limit of 1000 bytes \(100000 bytes\)/);
      expect(fs.existsSync(cacheFile())).to.equal(false);
    });

    it("accepts a file of exactly maxBytes", async function () {
      const bytes = await store.fetch(ref(pathToFileURL(sourceFile).href), { maxBytes: model.length });
      expect(bytes.length).to.equal(model.length);
    });

    it("fails with FetchError when the file does not exist", async function () {
      const err = await rejection(store.fetch(ref(pathToFileURL(path.join(dir, "absent.onnx")).href)));
      expect(err).to.be.instanceOf(FetchError);
      expect(err.message).to.match(MODEL_NAME).and.match(/ENOENT/);
    });
  });

  describe("the cache", function () {
    it("serves a cached model after its source is gone", async function () {
      const uri = pathToFileURL(sourceFile).href;
      await store.fetch(ref(uri));
      fs.rmSync(sourceFile);
      const again = await store.fetch(ref(uri));
      expect(Buffer.from(again).equals(model)).to.equal(true);
      expect(logs.map((l) => l.msg)).to.deep.equal(["fetched", "cache hit"]);
    });

    it("deletes a cache file that no longer hashes to its digest and fetches the model again", async function () {
      const uri = pathToFileURL(sourceFile).href;
      await store.fetch(ref(uri));
      const torn = fs.readFileSync(cacheFile()).subarray(0, 5000);
      fs.writeFileSync(cacheFile(), torn);
      const again = await store.fetch(ref(uri));
      expect(Buffer.from(again).equals(model)).to.equal(true);
      expect(sha256(fs.readFileSync(cacheFile()))).to.equal(digest);
      expect(logs.map((l) => [l.level, l.msg])).to.deep.equal([
        ["info", "fetched"],
        ["warn", "cache file corrupted, deleted"],
        ["info", "fetched"],
      ]);
    });

    it("keeps the cache whole when many fetches of one digest, from two stores on one directory, overlap", async function () {
      const twin = new ModelStore(cacheDir, { timeoutMs: 2_000, log: (line) => logs.push(line) });
      // Staggered, so that some fetches read the cache while others are still writing it.
      const results = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          await new Promise((resolve) => setTimeout(resolve, 15 * i));
          return (i % 2 === 0 ? store : twin).fetch(ref(`${server.url}/model.onnx`));
        }),
      );
      for (const bytes of results) expect(Buffer.from(bytes).equals(model)).to.equal(true);
      // A reader never saw a partly written file: that would have been logged as a corrupted cache.
      expect(logs.filter((l) => l.level === "warn")).to.deep.equal([]);
      expect(sha256(fs.readFileSync(cacheFile()))).to.equal(digest);
      expect(fs.readdirSync(cacheDir)).to.deep.equal([`${digest.slice(2)}.onnx`]); // no temp file left behind
    });
  });

  describe("the digest check", function () {
    it("refuses bytes that do not hash to the registered digest, naming the model and both digests, and caches nothing", async function () {
      const registered = sha256(Uint8Array.of(1, 2, 3));
      const err = await rejection(store.fetch(ref(pathToFileURL(sourceFile).href, { digest: registered })));
      expect(err).to.be.instanceOf(DigestMismatchError);
      expect(err).to.include({ expected: registered, actual: digest });
      expect(err.message).to.match(MODEL_NAME).and.include(registered).and.include(digest);
      expect(fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []).to.deep.equal([]);
    });

    it("accepts a registered digest written in upper case", async function () {
      const bytes = await store.fetch(ref(pathToFileURL(sourceFile).href, { digest: `0x${digest.slice(2).toUpperCase()}` }));
      expect(Buffer.from(bytes).equals(model)).to.equal(true);
    });

    it("refuses a registered digest that is not a SHA-256 digest", async function () {
      const err = await rejection(store.fetch(ref(pathToFileURL(sourceFile).href, { digest: "0x1234" })));
      expect(err).to.be.instanceOf(ModelStoreError);
      expect(err.message).to.match(MODEL_NAME).and.match(/not a SHA-256 digest/);
    });
  });

  describe("http(s) models", function () {
    it("downloads, checks and caches a model", async function () {
      const bytes = await store.fetch(ref(`${server.url}/model.onnx`));
      expect(Buffer.from(bytes).equals(model)).to.equal(true);
      expect(fs.existsSync(cacheFile())).to.equal(true);
      expect(server.requests).to.deep.equal(["/model.onnx"]);
    });

    it("accepts a streamed body of exactly maxBytes", async function () {
      const bytes = await store.fetch(ref(`${server.url}/model.onnx`), { maxBytes: model.length });
      expect(sha256(bytes)).to.equal(digest);
    });

    it("fails with FetchError carrying the status on a 404", async function () {
      const err = await rejection(store.fetch(ref(`${server.url}/nothing.onnx`)));
      expect(err).to.be.instanceOf(FetchError);
      expect(err).to.include({ status: 404 });
      expect(err.message).to.match(MODEL_NAME).and.match(/HTTP 404/);
    });

    it("stops reading an endless body at the size cap", async function () {
      const err = await rejection(store.fetch(ref(`${server.url}/endless`), { maxBytes: 1 << 20 }));
      expect(err).to.be.instanceOf(ModelTooLargeError);
      expect(err.message).to.match(MODEL_NAME).and.match(/stopped reading at the limit/);
      const sent = await server.endlessClosed; // the connection was dropped, not drained
      expect(sent).to.be.lessThan(64 << 20);
    });

    it("refuses a declared Content-Length above the cap before reading the body", async function () {
      const err = await rejection(store.fetch(ref(`${server.url}/declared-huge`), { maxBytes: 1 << 20 }));
      expect(err).to.be.instanceOf(ModelTooLargeError);
      expect(err).to.include({ maxBytes: 1 << 20, size: 1 << 30 });
    });

    it("gives up on a server that never answers after the timeout", async function () {
      const err = await rejection(store.fetch(ref(`${server.url}/silent`), { timeoutMs: 150 }));
      expect(err).to.be.instanceOf(FetchError);
      expect(err.message).to.match(/no complete answer within 150 ms/);
    });

    it("fails with FetchError naming the network cause when nothing listens", async function () {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
      const { port } = closed.address() as AddressInfo;
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const err = await rejection(store.fetch(ref(`http://127.0.0.1:${port}/model.onnx`)));
      expect(err).to.be.instanceOf(FetchError);
      expect(err.message).to.match(MODEL_NAME).and.match(/ECONNREFUSED/);
    });

    it("rejects with the caller's abort reason when cancelled", async function () {
      const controller = new AbortController();
      const pending = store.fetch(ref(`${server.url}/silent`), { signal: controller.signal });
      const reason = new Error("shutting down");
      setTimeout(() => controller.abort(reason), 20);
      expect(await rejection(pending)).to.equal(reason);
    });
  });

  describe("ipfs:// models", function () {
    it("fetches ipfs://<cid>/<path> through the configured gateway", async function () {
      const bytes = await store.fetch(ref(`ipfs://${CID}/model.onnx`));
      expect(Buffer.from(bytes).equals(model)).to.equal(true);
      expect(server.requests).to.deep.equal([`/ipfs/${CID}/model.onnx`]);
    });

    it("fetches a bare ipfs://<cid>", async function () {
      const bytes = await store.fetch(ref(`ipfs://${CID}`));
      expect(Buffer.from(bytes).equals(model)).to.equal(true);
    });

    it("fails with FetchError naming the gateway URL and the ipfs URI when the gateway has no such content", async function () {
      const err = await rejection(store.fetch(ref(`ipfs://${CID}/other.onnx`)));
      expect(err).to.be.instanceOf(FetchError);
      expect(err.message).to.include(`${server.url}/ipfs/${CID}/other.onnx`).and.include(`ipfs://${CID}/other.onnx`).and.include("IPFS gateway");
    });

    it("refuses a path that climbs out of the CID", async function () {
      const err = await rejection(store.fetch(ref(`ipfs://${CID}/%2e%2e/%2e%2e/secret`)));
      expect(err).to.be.instanceOf(UnsupportedUriError);
      expect(server.requests).to.deep.equal([]);
    });
  });

  describe("unsupported URIs", function () {
    for (const uri of ["ftp://127.0.0.1/model.onnx", "s3://bucket/model.onnx", "model.onnx", "file:model.onnx", "file://host/model.onnx"]) {
      it(`refuses ${uri} with UnsupportedUriError naming the model`, async function () {
        const err = await rejection(store.fetch(ref(uri)));
        expect(err).to.be.instanceOf(UnsupportedUriError);
        expect(err.message).to.match(MODEL_NAME).and.include(uri).and.match(/Supported forms are/);
      });
    }
  });

  describe("configuration", function () {
    it("refuses a bad option at construction, naming it", function () {
      expect(() => new ModelStore(cacheDir, { maxBytes: 0 })).to.throw(RangeError, /maxBytes/);
      expect(() => new ModelStore(cacheDir, { ipfsGateway: "ftp://127.0.0.1/" })).to.throw(RangeError, /ipfsGateway/);
      expect(() => new ModelStore(cacheDir, { timeoutMs: -1 })).to.throw(RangeError, /timeoutMs/);
    });
  });
});

describe("InputSource", function () {
  this.timeout(20_000);

  const input = new Uint8Array(randomBytes(50_000));
  const hash = keccak256(input);
  let dir: string;
  let file: string;
  let server: TestServer;
  let inputs: InputSource;

  const ref = (uri: string, overrides: Partial<InputRef> = {}): InputRef => ({ jobId: 42n, uri, hash, size: input.length, ...overrides });

  /** The InputFetchError a fetch rejects with. */
  async function refusal(promise: Promise<unknown>): Promise<InputFetchError> {
    const err = await rejection(promise);
    expect(err).to.be.instanceOf(InputFetchError);
    expect(err.message).to.match(/^job 42: input /);
    return err as InputFetchError;
  }

  before(async function () {
    server = await startServer(input);
  });

  after(async function () {
    await server.close();
  });

  beforeEach(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-inputs-"));
    file = path.join(dir, "input.bin");
    fs.writeFileSync(file, input);
    // The test server is on 127.0.0.1, which a node refuses by default (see the private-host tests).
    inputs = new InputSource({ ipfsGateway: `${server.url}/ipfs/`, timeoutMs: 2_000, allowFileUris: true, allowPrivateHosts: true });
    server.requests.length = 0;
  });

  afterEach(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("returns the bytes of a file:// input whose keccak256 is the committed hash", async function () {
    const bytes = await inputs.fetch(ref(pathToFileURL(file).href));
    expect(Buffer.from(bytes).equals(input)).to.equal(true);
  });

  it("reads no file:// input unless allowed: the URI is the requester's, the files are the node's", async function () {
    const strict = new InputSource({ ipfsGateway: `${server.url}/ipfs/`, allowPrivateHosts: true });
    const err = await refusal(strict.fetch(ref(pathToFileURL(file).href)));
    expect([err.failure, err.reason]).to.deep.equal(["unsupportedUri", "undecodableInput"]);
    expect(err.message).to.include("allowFileInputs");
    expect(Buffer.from(await strict.fetch(ref(`${server.url}/model.onnx`))).equals(input)).to.equal(true);
  });

  it("returns the bytes of an http(s):// input and of an ipfs:// input through the gateway", async function () {
    expect(Buffer.from(await inputs.fetch(ref(`${server.url}/model.onnx`))).equals(input)).to.equal(true);
    expect(Buffer.from(await inputs.fetch(ref(`ipfs://${CID}`))).equals(input)).to.equal(true);
    expect(server.requests).to.deep.equal(["/model.onnx", `/ipfs/${CID}`]);
  });

  it("refuses bytes that do not hash to the committed inputHash, naming both hashes, with the reason undecodableInput", async function () {
    const other = keccak256(Uint8Array.of(1, 2, 3));
    const err = await refusal(inputs.fetch(ref(pathToFileURL(file).href, { hash: other })));
    expect(err.failure).to.equal("hashMismatch");
    expect(err.reason).to.equal("undecodableInput");
    expect(err.message).to.include(hash).and.include(other);
  });

  it("accepts a committed hash written in upper case", async function () {
    const bytes = await inputs.fetch(ref(pathToFileURL(file).href, { hash: `0x${hash.slice(2).toUpperCase()}` }));
    expect(bytes.length).to.equal(input.length);
  });

  it("fails with fetchFailed (reason undecodableInput) on a missing file or an HTTP 404", async function () {
    const missing = await refusal(inputs.fetch(ref(pathToFileURL(path.join(dir, "gone.bin")).href)));
    expect([missing.failure, missing.reason]).to.deep.equal(["fetchFailed", "undecodableInput"]);
    expect(missing.message).to.include("ENOENT");
    const notFound = await refusal(inputs.fetch(ref(`${server.url}/nothing`)));
    expect(notFound.failure).to.equal("fetchFailed");
    expect(notFound.message).to.include("HTTP 404");
  });

  it("refuses an unsupported URI with unsupportedUri (reason undecodableInput)", async function () {
    for (const uri of ["ftp://127.0.0.1/input.bin", "input.bin", "file:input.bin", `ipfs://${CID}/%2e%2e/secret`]) {
      const err = await refusal(inputs.fetch(ref(uri)));
      expect([err.failure, err.reason], uri).to.deep.equal(["unsupportedUri", "undecodableInput"]);
    }
    expect(server.requests).to.deep.equal([]);
  });

  it("reads at most the declared inputSize and refuses more with the reason inputTooLarge", async function () {
    for (const uri of [pathToFileURL(file).href, `${server.url}/model.onnx`]) {
      const err = await refusal(inputs.fetch(ref(uri, { size: input.length - 1 })));
      expect([err.failure, err.reason], uri).to.deep.equal(["tooLarge", "inputTooLarge"]);
      expect(err.message).to.include(`declared size of ${input.length - 1} bytes`);
    }
  });

  it("refuses a declared size above its own limit without fetching, and caps an undeclared size at that limit", async function () {
    const small = new InputSource({ maxBytes: 1_000, allowFileUris: true, allowPrivateHosts: true });
    const declared = await refusal(small.fetch(ref(`${server.url}/model.onnx`, { size: 1_001 })));
    expect([declared.failure, declared.reason]).to.deep.equal(["tooLarge", "inputTooLarge"]);
    expect(server.requests).to.deep.equal([]);
    const undeclared = await refusal(small.fetch(ref(pathToFileURL(file).href, { size: 0 })));
    expect(undeclared.failure).to.equal("tooLarge");
    expect(undeclared.message).to.include("this node's limit of 1000 bytes");
  });

  it("refuses http(s) URIs on loopback, private, link-local and reserved hosts by default, without sending a request", async function () {
    const strict = new InputSource({ ipfsGateway: `${server.url}/ipfs/`, timeoutMs: 2_000 });
    const port = new URL(server.url).port;
    for (const host of ["127.0.0.1", "localhost", "[::1]", "10.1.2.3", "192.168.0.1", "169.254.169.254", "[::ffff:127.0.0.1]", "0.0.0.0", "[fd00::1]"]) {
      const err = await refusal(strict.fetch(ref(`http://${host}:${port}/model.onnx`)));
      expect([err.failure, err.reason], host).to.deep.equal(["unsupportedUri", "undecodableInput"]);
      expect(err.message, host).to.match(/is a loopback, private or reserved address \(.+\); such URIs are refused unless allowPrivateUris is on/);
    }
    expect(server.requests).to.deep.equal([]);
    // The operator's own gateway is not a stranger's URI: ipfs:// through a local gateway still works.
    expect(Buffer.from(await strict.fetch(ref(`ipfs://${CID}`))).equals(input)).to.equal(true);
  });

  it("judges public and non-public addresses as the IANA special-purpose registry does", function () {
    for (const a of ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888", "::ffff:8.8.8.8"]) expect(isPublicAddress(a), a).to.equal(true);
    for (const a of ["127.0.0.1", "10.0.0.1", "172.16.5.4", "172.31.255.255", "100.64.0.1", "192.0.0.8", "198.18.0.1", "224.0.0.1", "255.255.255.255", "::", "::1", "fe80::1", "fc00::1", "ff02::1", "::ffff:10.0.0.1", "not an ip"]) {
      expect(isPublicAddress(a), a).to.equal(false);
    }
  });

  it("follows no redirect for a filtered URI (it could lead to a private host), and names the target", async function () {
    const errors = { unsupported: (d: string) => new Error(`unsupported: ${d}`), fetchFailed: (_u: string, d: string) => new Error(`failed: ${d}`), tooLarge: () => new Error("too large") };
    const limits = { maxBytes: 1 << 20, timeoutMs: 2_000, ipfsGateway: `${server.url}/ipfs/` };
    const refused = await rejection(readUri(`${server.url}/redirect`, { ...limits, hostFilter: () => true }, errors));
    expect(refused.message).to.equal("failed: HTTP 302 redirect to /model.onnx not followed (the URI must name the bytes directly)");
    expect(Buffer.from(await readUri(`${server.url}/redirect`, limits, errors)).equals(input)).to.equal(true);
  });

  it("defaults its limit to 16 MiB and refuses a bad option at construction, naming it", function () {
    expect(new InputSource().maxBytes).to.equal(DEFAULT_MAX_INPUT_BYTES).and.equal(16 * 1024 * 1024);
    expect(() => new InputSource({ maxBytes: 0 })).to.throw(RangeError, /InputSource: maxBytes/);
    expect(() => new InputSource({ ipfsGateway: "ftp://127.0.0.1/" })).to.throw(RangeError, /InputSource: ipfsGateway/);
    expect(() => new InputSource({ timeoutMs: 1.5 })).to.throw(RangeError, /InputSource: timeoutMs/);
  });
});
