import { randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { digestHex, prefixed, sha256Hex } from "./digest";
import { DigestMismatchError, ModelStoreError, type ModelRef } from "./errors";
import { checkGateway, checkPositive, DEFAULT_IPFS_GATEWAY, readFileCapped, readSource, SizeLimitExceeded, type ReadLimits } from "./sources";

export { DigestMismatchError, FetchError, ModelStoreError, ModelTooLargeError, UnsupportedUriError, describeModel } from "./errors";
export type { ModelRef } from "./errors";
export { DEFAULT_IPFS_GATEWAY } from "./sources";

/**
 * The model store: gives the node a model's ONNX bytes only once their SHA-256 equals the
 * digest registered on-chain. Bytes come from the cache (`<cacheDir>/<digest hex>.onnx`, whose
 * hash is re-checked on every read) or from the model's URI; a verified download is cached
 * atomically (temp file + rename), so readers never see a partial file and concurrent fetches
 * of one digest, in this process or another, cannot corrupt the cache.
 */

/** Default byte cap: 256 MiB, larger than any model the node is expected to run on CPU. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** Default http(s) timeout for one whole download. */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface ModelStoreOptions {
  /** Base URL for `ipfs://` URIs; must be http(s). Default DEFAULT_IPFS_GATEWAY. */
  ipfsGateway?: string;
  /** Largest model accepted, in bytes, unless a fetch says otherwise. Default DEFAULT_MAX_BYTES. */
  maxBytes?: number;
  /** Time allowed for one http(s) download, in ms. Default DEFAULT_TIMEOUT_MS. */
  timeoutMs?: number;
  /** Receives one structured line per notable event (a cache hit, a download, a corrupted cache file). */
  log?: (line: StoreLogLine) => void;
}

export interface FetchOptions {
  /** Overrides the store's byte cap for this fetch. */
  maxBytes?: number;
  /** Overrides the store's http(s) timeout for this fetch. */
  timeoutMs?: number;
  /** Cancels the fetch; the signal's reason is thrown. */
  signal?: AbortSignal;
}

/** A structured log line, in the shape pino takes (`logger[line.level](line)`). */
export interface StoreLogLine {
  level: "info" | "warn";
  at: "ModelStore.fetch";
  msg: "cache hit" | "fetched" | "cache file corrupted, deleted";
  modelId: string;
  version: number;
  digest: string;
  bytes?: number;
  file?: string;
}

export class ModelStore {
  private readonly ipfsGateway: string;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly log: (line: StoreLogLine) => void;

  /** `cacheDir` is created on the first download; it holds only `<digest hex>.onnx` files and their temp files. */
  constructor(
    readonly cacheDir: string,
    options: ModelStoreOptions = {},
  ) {
    if (cacheDir.length === 0) throw new RangeError("ModelStore: cacheDir must be a directory path");
    this.ipfsGateway = checkGateway("ModelStore", options.ipfsGateway ?? DEFAULT_IPFS_GATEWAY);
    this.maxBytes = checkPositive("ModelStore", "maxBytes", options.maxBytes ?? DEFAULT_MAX_BYTES);
    this.timeoutMs = checkPositive("ModelStore", "timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.log = options.log ?? (() => undefined);
  }

  /** Where the cache keeps the model with this digest (`0x`-prefixed or bare hex). */
  cachePath(digest: string): string {
    const hex = digestHex(digest);
    if (hex === undefined) throw new RangeError(`"${digest}" is not a SHA-256 digest (0x + 64 hex digits)`);
    return path.join(this.cacheDir, `${hex}.onnx`);
  }

  /**
   * The model's bytes, checked against `model.digest`. Throws DigestMismatchError,
   * ModelTooLargeError, UnsupportedUriError or FetchError (all ModelStoreErrors naming the model),
   * or the signal's reason when cancelled.
   */
  async fetch(model: ModelRef, options: FetchOptions = {}): Promise<Uint8Array> {
    const hex = digestHex(model.digest);
    if (hex === undefined) {
      throw new ModelStoreError(model, `its registered digest "${model.digest}" is not a SHA-256 digest (0x + 64 hex digits); check the registry read.`);
    }
    const limits: ReadLimits = {
      maxBytes: checkPositive("ModelStore", "maxBytes", options.maxBytes ?? this.maxBytes),
      timeoutMs: checkPositive("ModelStore", "timeoutMs", options.timeoutMs ?? this.timeoutMs),
      ipfsGateway: this.ipfsGateway,
      signal: options.signal,
    };
    options.signal?.throwIfAborted();

    const cached = await this.readCache(model, hex, limits);
    if (cached !== undefined) return cached;

    const bytes = await readSource(model, limits);
    const actual = sha256Hex(bytes);
    if (actual !== hex) throw new DigestMismatchError(model, prefixed(hex), prefixed(actual));
    await this.writeCache(model, hex, bytes);
    this.log({ ...this.logBase(model, hex), level: "info", msg: "fetched", bytes: bytes.length });
    return bytes;
  }

  /**
   * The cached bytes if the cache file exists and still hashes to the digest. A file that does not
   * (a torn write after a crash, disk corruption, tampering) is deleted and the model refetched.
   * A cached file above this fetch's cap is left alone and the source decides (and refuses).
   */
  private async readCache(model: ModelRef, hex: string, limits: ReadLimits): Promise<Uint8Array | undefined> {
    const file = path.join(this.cacheDir, `${hex}.onnx`);
    let bytes: Uint8Array;
    try {
      bytes = await readFileCapped(file, limits.maxBytes, limits.signal);
    } catch (err) {
      if (err instanceof SizeLimitExceeded || (err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      if (limits.signal?.aborted) throw err;
      throw new ModelStoreError(model, `cannot read the cache file ${file} (${(err as Error).message}); check the cache directory's permissions.`, {
        cause: err,
      });
    }
    if (sha256Hex(bytes) === hex) {
      this.log({ ...this.logBase(model, hex), level: "info", msg: "cache hit", bytes: bytes.length });
      return bytes;
    }
    this.log({ ...this.logBase(model, hex), level: "warn", msg: "cache file corrupted, deleted", file });
    await rm(file, { force: true });
    return undefined;
  }

  /**
   * Writes under a unique temp name, then renames over the final name: rename is atomic within a
   * directory, so a reader sees no file or a whole one. No fsync: a file torn by a power cut fails
   * the hash check on its next read and is refetched.
   */
  private async writeCache(model: ModelRef, hex: string, bytes: Uint8Array): Promise<void> {
    const file = path.join(this.cacheDir, `${hex}.onnx`);
    const temp = path.join(this.cacheDir, `.${hex}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
    try {
      await mkdir(this.cacheDir, { recursive: true });
      await writeFile(temp, bytes, { flag: "wx" });
      await rename(temp, file);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => undefined);
      throw new ModelStoreError(model, `the model was verified but cannot be cached at ${file} (${(err as Error).message}); check that ${this.cacheDir} is writable and has space.`, {
        cause: err,
      });
    }
  }

  private logBase(model: ModelRef, hex: string): Pick<StoreLogLine, "at" | "modelId" | "version" | "digest"> {
    return { at: "ModelStore.fetch", modelId: model.id.toString(), version: model.version, digest: prefixed(hex) };
  }
}
