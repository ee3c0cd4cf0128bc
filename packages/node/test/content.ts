/**
 * The content store for by-reference inputs: its HTTP server (packages/node/src/content/server.ts), the
 * client that publishes bytes to it (client.ts), and the request fields built from either
 * (requestInput.ts). Every server here listens on 127.0.0.1 only.
 */
import { expect } from "chai";
import { keccak256, ZeroHash } from "ethers";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { contentUri, storeBaseUrl } from "../src/content/address";
import { ContentPublishError, publishBytes } from "../src/content/client";
import { inlineInput, InputPlacementError, placeInput, referencedInput } from "../src/content/requestInput";
import { ContentStoreServer } from "../src/content/server";
import { MAX_INLINE_INPUT_BYTES, MAX_INPUT_URI_BYTES } from "../src/limits";
import { InputSource } from "../src/store/inputs";

const MAX = 4096;

function bytesOf(n: number, seed = 1): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 17) & 0xff);
}

/** A fresh store on a free port with a MAX-byte limit; stopped and its directory removed after each test. */
function useStore(): { store: () => ContentStoreServer } {
  let store: ContentStoreServer | undefined;
  let dir: string | undefined;
  beforeEach(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "glassbox-content-"));
    store = new ContentStoreServer({ dir, port: 0, maxBytes: MAX });
    await store.start();
  });
  afterEach(async function () {
    await store?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return { store: () => store as ContentStoreServer };
}

interface Answer {
  status: number;
  body: string;
}

/** One raw HTTP request (node:http, so a body can be sent without a length, in chunks). */
function request(url: string, method: string, chunks: Uint8Array[] = [], headers: Record<string, string | number> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (c: Buffer) => parts.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString("utf8") }));
    });
    req.on("error", reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  return expect.fail("expected a rejection");
}

describe("ContentStoreServer: bytes are kept only under their own keccak256", function () {
  const { store } = useStore();

  it("keeps bytes PUT under their keccak256 (201), serves them back with GET, and answers 200 to the same upload again", async function () {
    const bytes = bytesOf(1000);
    const hash = keccak256(bytes);
    const put = await fetch(`${store().url}/${hash}`, { method: "PUT", body: bytes });
    expect(put.status).to.equal(201);
    expect(await put.json()).to.deep.equal({ hash, size: 1000 });
    const get = await fetch(`${store().url}/${hash}`);
    expect(get.status).to.equal(200);
    expect(get.headers.get("content-type")).to.equal("application/octet-stream");
    expect(new Uint8Array(await get.arrayBuffer())).to.deep.equal(bytes);
    expect((await fetch(`${store().url}/${hash}`, { method: "PUT", body: bytes })).status).to.equal(200);
    expect(fs.readdirSync(store().dir)).to.deep.equal([hash]);
  });

  it("takes POST like PUT", async function () {
    const bytes = bytesOf(10, 2);
    const post = await fetch(`${store().url}/${keccak256(bytes)}`, { method: "POST", body: bytes });
    expect(post.status).to.equal(201);
  });

  it("refuses with 400 bytes whose keccak256 is not the one in the path, naming theirs, and keeps nothing", async function () {
    const bytes = bytesOf(100);
    const other = keccak256(bytesOf(100, 9));
    const put = await fetch(`${store().url}/${other}`, { method: "PUT", body: bytes });
    expect(put.status).to.equal(400);
    expect(await put.text()).to.include(`keccak256 ${keccak256(bytes)}, not the ${other} of the path: upload them to /${keccak256(bytes)}`);
    expect(fs.readdirSync(store().dir)).to.deep.equal([]);
    expect((await fetch(`${store().url}/${other}`)).status).to.equal(404);
  });

  it("refuses an empty body with 400", async function () {
    const put = await fetch(`${store().url}/${keccak256(new Uint8Array(0))}`, { method: "PUT", body: new Uint8Array(0) });
    expect(put.status).to.equal(400);
    expect(await put.text()).to.include("the body is empty");
  });
});

describe("ContentStoreServer: the upload size is bounded", function () {
  const { store } = useStore();

  it("keeps an upload of exactly maxBytes", async function () {
    const bytes = bytesOf(MAX);
    expect((await fetch(`${store().url}/${keccak256(bytes)}`, { method: "PUT", body: bytes })).status).to.equal(201);
  });

  it("refuses with 413 an upload whose declared length is above maxBytes, before reading it", async function () {
    const bytes = bytesOf(MAX + 1);
    const answer = await request(`${store().url}/${keccak256(bytes)}`, "PUT", [bytes], { "content-length": bytes.length });
    expect(answer.status).to.equal(413);
    expect(answer.body).to.include(`larger than this store's limit of ${MAX} bytes`);
    expect(fs.readdirSync(store().dir)).to.deep.equal([]);
  });

  it("refuses with 413 an upload sent without a length once more than maxBytes arrived", async function () {
    const bytes = bytesOf(MAX + 100);
    const chunks = [bytes.subarray(0, MAX / 2), bytes.subarray(MAX / 2)];
    const answer = await request(`${store().url}/${keccak256(bytes)}`, "PUT", chunks, { "transfer-encoding": "chunked" });
    expect(answer.status).to.equal(413);
    expect(fs.readdirSync(store().dir)).to.deep.equal([]);
  });
});

describe("ContentStoreServer: reads", function () {
  const { store } = useStore();

  it("answers 404 for a hash it does not keep", async function () {
    const res = await fetch(`${store().url}/${keccak256(bytesOf(5))}`);
    expect(res.status).to.equal(404);
    expect(await res.text()).to.include("no content with keccak256");
  });

  it("answers 400 for a path that is not a lowercase 0x-prefixed keccak256, saying what a path must be", async function () {
    const hash = keccak256(bytesOf(5));
    for (const bad of ["abc", hash.slice(2), hash.toUpperCase().replace("0X", "0x"), `${hash}00`, "..%2F..%2Fetc%2Fpasswd", ""]) {
      const res = await fetch(`${store().url}/${bad}`);
      expect(res.status, bad).to.equal(400);
      expect(await res.text(), bad).to.include("the path must be /0x followed by the 64 lowercase hex digits");
    }
  });

  it("answers 405 for other methods, and 200 on /healthz", async function () {
    const res = await fetch(`${store().url}/${keccak256(bytesOf(5))}`, { method: "DELETE" });
    expect(res.status).to.equal(405);
    expect(res.headers.get("allow")).to.equal("GET, HEAD, PUT, POST");
    expect((await fetch(`${store().url}/healthz`)).status).to.equal(200);
  });
});

describe("publishBytes: publish bytes, get the URI nodes fetch them from", function () {
  const { store } = useStore();

  it("uploads under the keccak256 and returns hash, <store>/<hash> and size; a node's InputSource fetches and accepts the URI", async function () {
    const bytes = bytesOf(3000);
    const published = await publishBytes(`${store().url}/`, bytes);
    expect(published).to.deep.equal({ hash: keccak256(bytes), uri: `${store().url}/${keccak256(bytes)}`, size: 3000 });
    const node = new InputSource({ allowPrivateHosts: true });
    const fetched = await node.fetch({ jobId: 1n, uri: published.uri, hash: published.hash, size: published.size });
    expect(fetched).to.deep.equal(bytes);
  });

  it("publishes the same bytes twice without error", async function () {
    const bytes = bytesOf(20);
    expect((await publishBytes(store().url, bytes)).uri).to.equal((await publishBytes(store().url, bytes)).uri);
  });

  it("throws ContentPublishError with the store's status and words when it refuses the bytes", async function () {
    const err = await rejection(publishBytes(store().url, bytesOf(MAX + 1)));
    expect(err).to.be.instanceOf(ContentPublishError);
    expect((err as ContentPublishError).status).to.equal(413);
    expect(err.message).to.match(/^the content store at http:\/\/127\.0\.0\.1:\d+ refused 4097 bytes: HTTP 413: the upload is larger than this store's limit of 4096 bytes$/);
  });

  it("throws ContentPublishError asking whether the store runs when nothing listens", async function () {
    const url = store().url;
    await store().stop();
    const err = await rejection(publishBytes(url, bytesOf(5)));
    expect(err).to.be.instanceOf(ContentPublishError);
    expect(err.message).to.include(`cannot publish to the content store at ${url}`).and.include("is it running");
  });

  it("sends one PUT through an injected fetch (as a browser or an authenticating caller would)", async function () {
    const seen: { url: string; method?: string }[] = [];
    const fake: typeof fetch = async (input, init) => {
      seen.push({ url: String(input), method: init?.method });
      return new Response(null, { status: 201 });
    };
    const bytes = bytesOf(7);
    await publishBytes("https://store.example/inputs", bytes, { fetch: fake });
    expect(seen).to.deep.equal([{ url: `https://store.example/inputs/${keccak256(bytes)}`, method: "PUT" }]);
  });

  it("refuses empty bytes and a store URL that is not http(s)", async function () {
    expect(await rejection(publishBytes(store().url, new Uint8Array(0)))).to.be.instanceOf(ContentPublishError);
    expect(await rejection(publishBytes("ftp://x", bytesOf(3)))).to.be.instanceOf(RangeError);
    expect(() => storeBaseUrl("not a url")).to.throw(RangeError, /pass the http\(s\) address of a Glassbox content store/);
    expect(() => contentUri("https://a", "0x12")).to.throw(RangeError, /not a content hash/);
  });
});

describe("placeInput: a request's input fields, inline up to the contracts' limit and by reference above it", function () {
  const { store } = useStore();

  it("keeps an input of MAX_INLINE_INPUT_BYTES inline, with no hash, URI or size", async function () {
    const bytes = bytesOf(MAX_INLINE_INPUT_BYTES);
    expect(await placeInput(bytes, { store: store().url })).to.deep.equal({ input: bytes, inputHash: ZeroHash, inputURI: "", inputSize: 0 });
    expect(fs.readdirSync(store().dir)).to.deep.equal([]);
  });

  it("publishes an input one byte larger and gives its keccak256, the store's URI and its size", async function () {
    const big = new ContentStoreServer({ dir: path.join(store().dir, "big"), port: 0 });
    await big.start();
    try {
      const bytes = bytesOf(MAX_INLINE_INPUT_BYTES + 1);
      const fields = await placeInput(bytes, { store: big.url });
      expect(fields.input).to.have.length(0);
      expect(fields.inputHash).to.equal(keccak256(bytes));
      expect(fields.inputURI).to.equal(`${big.url}/${keccak256(bytes)}`);
      expect(fields.inputSize).to.equal(MAX_INLINE_INPUT_BYTES + 1);
      expect(new Uint8Array(await (await fetch(fields.inputURI)).arrayBuffer())).to.deep.equal(bytes);
    } finally {
      await big.stop();
    }
  });

  it("publishes a small input too when asked to send it by reference", async function () {
    const fields = await placeInput(bytesOf(10), { store: store().url, byReference: true });
    expect(fields.inputURI).to.equal(`${store().url}/${keccak256(bytesOf(10))}`);
  });

  it("refuses an input above the inline limit when no store is given, saying what to do", async function () {
    const err = await rejection(placeInput(bytesOf(MAX_INLINE_INPUT_BYTES + 1)));
    expect(err).to.be.instanceOf(InputPlacementError);
    expect(err.message).to.include(`above the ${MAX_INLINE_INPUT_BYTES} a request carries inline`).and.include("host the bytes yourself");
  });

  it("takes a URI the requester hosts up to MAX_INPUT_URI_BYTES bytes, and refuses a longer one", function () {
    const bytes = bytesOf(10);
    const uri = `https://h.example/${"a".repeat(MAX_INPUT_URI_BYTES - "https://h.example/".length)}`;
    expect(referencedInput(bytes, uri)).to.deep.equal({ input: new Uint8Array(0), inputHash: keccak256(bytes), inputURI: uri, inputSize: 10 });
    expect(() => referencedInput(bytes, `${uri}a`)).to.throw(InputPlacementError, `above the ${MAX_INPUT_URI_BYTES} the contracts take`);
    expect(() => inlineInput(bytesOf(MAX_INLINE_INPUT_BYTES + 1))).to.throw(InputPlacementError, "send it by reference");
  });
});

describe("the content-store client runs in a browser: no Node module in its imports", function () {
  it("client.ts, requestInput.ts, address.ts and limits.ts import no node: module, directly or through each other", function () {
    const src = path.join(__dirname, "..", "src");
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = fs.readFileSync(file, "utf8");
      for (const [, spec] of text.matchAll(/from\s+"([^"]+)"/g)) {
        expect(spec, `${path.relative(src, file)} imports ${spec}`).not.to.match(/^node:|^(fs|path|http|https|net|os|crypto|url)$/);
        if (spec.startsWith(".")) visit(`${path.resolve(path.dirname(file), spec)}.ts`);
        else expect(spec, `${path.relative(src, file)} imports the package ${spec}`).to.equal("ethers");
      }
    };
    for (const f of ["content/client.ts", "content/requestInput.ts", "content/address.ts", "limits.ts"]) visit(path.join(src, f));
    expect(seen.size).to.equal(4);
  });
});
