/**
 * Typed refusals of the model store. Every message names the model (id and version) and says
 * what the operator can do next; callers branch on the class, never on the message.
 */

/** The registry's view of one model version: what the store needs to fetch and check it. */
export interface ModelRef {
  id: bigint | number;
  version: number;
  /** SHA-256 of the ONNX bytes: `0x` + 64 hex digits, as registered on-chain. */
  digest: string;
  /** Where the bytes can be fetched: `file:///abs/path`, `http(s)://...` or `ipfs://<cid>[/path]`. */
  uri: string;
}

/** "model 7 version 2": how every message names a model. */
export function describeModel(model: Pick<ModelRef, "id" | "version">): string {
  return `model ${model.id} version ${model.version}`;
}

/** Base class of every store error; `modelId` and `version` say which model it was about. */
export class ModelStoreError extends Error {
  readonly modelId: bigint | number;
  readonly version: number;

  constructor(model: Pick<ModelRef, "id" | "version">, message: string, options?: { cause?: unknown }) {
    super(`${describeModel(model)}: ${message}`, options);
    this.name = "ModelStoreError";
    this.modelId = model.id;
    this.version = model.version;
  }
}

/** The bytes at the model's URI (or in the cache) are not the registered model. */
export class DigestMismatchError extends ModelStoreError {
  constructor(
    model: ModelRef,
    /** The registered digest, `0x` + 64 lowercase hex digits. */
    readonly expected: string,
    /** The SHA-256 of the bytes actually fetched, same form. */
    readonly actual: string,
  ) {
    super(
      model,
      `the bytes fetched from ${model.uri} have SHA-256 ${actual}, but the registry expects ${expected}; ` +
        `they were not used or cached. Make the URI serve the registered file, or register a new version with the new digest.`,
    );
    this.name = "DigestMismatchError";
  }
}

/** The model is larger than the byte cap, detected from its declared size or while reading it. */
export class ModelTooLargeError extends ModelStoreError {
  constructor(
    model: ModelRef,
    /** The cap that was exceeded, in bytes. */
    readonly maxBytes: number,
    /** The size when known up front (file size, Content-Length); otherwise undefined. */
    readonly size?: number,
  ) {
    super(
      model,
      `${model.uri} is larger than the limit of ${maxBytes} bytes` +
        (size === undefined ? ` (stopped reading at the limit)` : ` (${size} bytes)`) +
        `; raise maxBytes if a model this large is expected.`,
    );
    this.name = "ModelTooLargeError";
  }
}

/** The URI's scheme or form is not one the store can fetch. */
export class UnsupportedUriError extends ModelStoreError {
  constructor(
    model: ModelRef,
    /** Why the URI was refused. */
    readonly detail: string,
  ) {
    super(
      model,
      `cannot fetch "${model.uri}": ${detail}. Supported forms are file:///absolute/path, http(s)://host/path and ` +
        `ipfs://<cid>[/path]; the model owner must register a URI in one of them.`,
    );
    this.name = "UnsupportedUriError";
  }
}

/** Reading the URI failed: an HTTP status other than 2xx, a network error, a timeout or a missing file. */
export class FetchError extends ModelStoreError {
  constructor(
    model: ModelRef,
    /** What was actually requested (the gateway URL for an `ipfs://` URI). */
    readonly url: string,
    detail: string,
    /** The HTTP status when the server answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(
      model,
      `fetching ${url}${url === model.uri ? "" : ` (for ${model.uri})`} failed: ${detail}. ` +
        `Check that the URI${model.uri.startsWith("ipfs:") ? " and the IPFS gateway" : ""} serve the model, then retry.`,
      options,
    );
    this.name = "FetchError";
  }
}
