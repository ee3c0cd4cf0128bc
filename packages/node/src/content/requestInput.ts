/**
 * A request's input fields (`input`, `inputHash`, `inputURI`, `inputSize` of RequestParams) for
 * canonical input bytes: inline up to the contracts' inline limit, by reference above it (or when
 * asked), published to a content store or at a URI the requester hosts. No Node imports.
 *
 *   const fields = await placeInput(bytes, { store: "http://127.0.0.1:9470" });
 *   await jobs.requestInference({ modelId, ..., ...fields, callback, ... });
 */
import { keccak256, ZeroHash } from "ethers";
import { MAX_INLINE_INPUT_BYTES, MAX_INPUT_URI_BYTES } from "../limits";
import { publishBytes, type PublishOptions, type Published } from "./client";

/** The four input fields of a request. Inline: `input` set, the others empty; by reference: the reverse. */
export interface RequestInput {
  input: Uint8Array;
  inputHash: string;
  inputURI: string;
  inputSize: number;
}

/** The input cannot be placed as asked; the message says what to do instead. */
export class InputPlacementError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputPlacementError";
  }
}

/** `bytes` inline; throws above MAX_INLINE_INPUT_BYTES, which the contracts refuse. */
export function inlineInput(bytes: Uint8Array): RequestInput {
  if (bytes.length === 0) throw new InputPlacementError("the input is empty");
  if (bytes.length > MAX_INLINE_INPUT_BYTES) {
    throw new InputPlacementError(`the input is ${bytes.length} bytes, above the ${MAX_INLINE_INPUT_BYTES} a request carries inline: send it by reference`);
  }
  return { input: bytes, inputHash: ZeroHash, inputURI: "", inputSize: 0 };
}

/**
 * `bytes` by reference at `uri`, which must serve exactly these bytes (nodes check their keccak256)
 * until the job is final; the URI is at most MAX_INPUT_URI_BYTES bytes of UTF-8.
 */
export function referencedInput(bytes: Uint8Array, uri: string): RequestInput {
  if (bytes.length === 0) throw new InputPlacementError("the input is empty");
  const uriBytes = new TextEncoder().encode(uri).length;
  if (uriBytes === 0) throw new InputPlacementError("the input URI is empty");
  if (uriBytes > MAX_INPUT_URI_BYTES) throw new InputPlacementError(`the input URI is ${uriBytes} bytes, above the ${MAX_INPUT_URI_BYTES} the contracts take: use a shorter URL`);
  return { input: new Uint8Array(0), inputHash: keccak256(bytes), inputURI: uri, inputSize: bytes.length };
}

export interface PlaceOptions extends PublishOptions {
  /** The content store that takes inputs too large to go inline (and every input, with `byReference`). */
  store?: string;
  /** Send by reference even when the input would fit inline. */
  byReference?: boolean;
}

/**
 * The request fields for `bytes`: inline when they fit and `byReference` is not set, otherwise
 * published to `options.store` (throws InputPlacementError when there is none, ContentPublishError
 * when the store fails). `published` is set when bytes were uploaded.
 */
export async function placeInput(bytes: Uint8Array, options: PlaceOptions = {}): Promise<RequestInput & { published?: Published }> {
  if (!options.byReference && bytes.length <= MAX_INLINE_INPUT_BYTES) return inlineInput(bytes);
  if (options.store === undefined) {
    const why = options.byReference ? "by reference was asked for" : `the input is ${bytes.length} bytes, above the ${MAX_INLINE_INPUT_BYTES} a request carries inline`;
    throw new InputPlacementError(`${why}, and no content store is set: give one, or host the bytes yourself (any https or ipfs URI) and pass that URI`);
  }
  const published = await publishBytes(options.store, bytes, options);
  return { ...referencedInput(bytes, published.uri), published };
}
