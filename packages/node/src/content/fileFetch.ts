/**
 * A fetch that also reads file:// URIs from disk: models registered with the CLI's default URI (a
 * file:// URI of its cached copy) and the devnet's models. Node only. Whoever uses it decides which
 * URIs may reach it (the CLI reads what its user names; the explorer only URIs the chain names).
 */
import fs from "node:fs";
import { fileURLToPath } from "node:url";

/** The global fetch, plus file:// URIs read from disk (a 404 response when the file cannot be read). */
export const fetchWithFiles: typeof globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.startsWith("file://")) return globalThis.fetch(input, init);
  try {
    return new Response(fs.readFileSync(fileURLToPath(url)));
  } catch (err) {
    return new Response(`cannot read ${url}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { status: 404 });
  }
};
