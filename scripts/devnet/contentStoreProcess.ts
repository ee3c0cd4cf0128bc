/**
 * The devnet's content store as a process of its own (scripts/devnet/contentStore.ts starts it):
 *
 *   node -r ts-node/register/transpile-only scripts/devnet/contentStoreProcess.ts --dir DIR --port N
 *
 * Serves packages/node/src/content/server.ts on 127.0.0.1:N until SIGINT or SIGTERM.
 */
import { ContentStoreServer } from "../../packages/node/src";

function arg(name: string): string {
  const i = process.argv.indexOf(name);
  const value = i < 0 ? undefined : process.argv[i + 1];
  if (value === undefined) throw new Error(`usage: contentStoreProcess.ts --dir DIR --port N (missing ${name})`);
  return value;
}

async function main(): Promise<void> {
  const store = new ContentStoreServer({ dir: arg("--dir"), port: Number(arg("--port")) });
  await store.start();
  console.log(`content store ${store.url} keeping ${store.dir} (uploads up to ${store.maxBytes} bytes)`);
  const stop = () => void store.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`content store failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
