/**
 * Deployed bytecode size of every production contract (contracts/ outside contracts/test/), read
 * from Hardhat's artifacts. Shared by `npm run gas` (reports/gas.json `contractSizes`) and the
 * static test that holds every contract under the project's limit.
 */
import type { Artifacts } from "hardhat/types";

/** The project's limit: EIP-170 allows 24,576 bytes; we keep 1.5 KiB of room under it. */
export const CONTRACT_SIZE_LIMIT = 23_000;

/** Bytes of deployed code per contract name, for every deployable production contract. */
export async function contractSizes(artifacts: Artifacts): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of await artifacts.getAllFullyQualifiedNames()) {
    if (!name.startsWith("contracts/") || name.startsWith("contracts/test/")) continue;
    const artifact = await artifacts.readArtifact(name);
    const bytes = (artifact.deployedBytecode.length - 2) / 2;
    if (bytes > 0) sizes[artifact.contractName] = bytes;
  }
  return sizes;
}
