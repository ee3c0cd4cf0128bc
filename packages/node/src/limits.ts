/**
 * Every size limit a job's input and output meet on their way, in one place. The contracts are the
 * source of the on-chain ones: each constant below names the Solidity constant it mirrors, and
 * test/static/limits.ts reads those from contracts/ and fails when one changed without the other.
 *
 * No imports: the CLI, the node, the content-store client (which also runs in a browser) and the
 * help texts all quote these.
 *
 * The path of a request's input:
 *   - up to MAX_INLINE_INPUT_BYTES it may travel inline (calldata and the JobRequested event);
 *   - above it, only by reference: keccak256 hash + URI (at most MAX_INPUT_URI_BYTES bytes) + size;
 *   - either way the model's policy caps it (`maxInputBytes`, set at registration, at most
 *     MAX_MODEL_INPUT_BYTES; DEFAULT_MODEL_MAX_INPUT_BYTES unless the owner says otherwise);
 *   - a node fetches a by-reference input only up to its own cap (`--max-input-bytes`, default
 *     DEFAULT_NODE_MAX_INPUT_BYTES) and claims `inputTooLarge` above it.
 */

/** JobParams.MAX_INLINE_BYTES: the largest input a request carries inline (64 KiB). */
export const MAX_INLINE_INPUT_BYTES = 64 * 1024;

/** JobParams.MAX_URI_BYTES: the longest input or output URI a request or result takes, in UTF-8 bytes. */
export const MAX_INPUT_URI_BYTES = 512;

/** JobRegistry.MAX_INLINE_OUTPUT: the largest output `submitResult` takes inline (it is stored: 12 KiB). */
export const MAX_INLINE_OUTPUT_BYTES = 12 * 1024;

/** ModelRegistry.MAX_INPUT_BYTES: the largest `maxInputBytes` a model's policy may set (1 GiB). */
export const MAX_MODEL_INPUT_BYTES = 2 ** 30;

/** ModelRegistry.MAX_URI_LENGTH: the longest model URI the registry takes. */
export const MAX_MODEL_URI_BYTES = 512;

/**
 * `glassbox model register --max-input`'s default: a model accepts inputs up to the inline limit
 * unless its owner registers a larger `maxInputBytes` (only by-reference inputs can be larger).
 */
export const DEFAULT_MODEL_MAX_INPUT_BYTES = MAX_INLINE_INPUT_BYTES;

/**
 * A node's default cap on one by-reference input it fetches (`--max-input-bytes`): 16 MiB, far
 * above what a CPU model of this node takes in one run. Not a protocol rule: each operator sets
 * their own, so a requester whose input is larger than the nodes take sees the job claimed
 * `inputTooLarge`. The devnet's content store takes uploads up to this size too.
 */
export const DEFAULT_NODE_MAX_INPUT_BYTES = 16 * 1024 * 1024;

/** The limits in words, for help texts: what goes inline, what by reference, and who caps what. */
export function inputLimitsText(): string {
  return [
    `Input size limits:`,
    `  - up to ${MAX_INLINE_INPUT_BYTES} bytes (JobParams.MAX_INLINE_BYTES) an input may go inline, in the request itself;`,
    `  - a larger one goes by reference: its keccak256, a URI of at most ${MAX_INPUT_URI_BYTES} bytes (JobParams.MAX_URI_BYTES) and its size;`,
    `  - the model's policy caps every input (maxInputBytes: see \`glassbox model info <id>\`; at most ${MAX_MODEL_INPUT_BYTES}, ModelRegistry.MAX_INPUT_BYTES);`,
    `  - nodes fetch a by-reference input only up to their --max-input-bytes (default ${DEFAULT_NODE_MAX_INPUT_BYTES}) and claim it inputTooLarge above it.`,
  ].join("\n");
}
