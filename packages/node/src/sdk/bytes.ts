/** Byte helpers shared by the SDK's fetches and the node's readers (browser-safe). */

/** `chunks` as one array of `total` bytes (the chunk itself when there is only one that fills it). */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].byteOffset === 0 && chunks[0].buffer.byteLength === total) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
