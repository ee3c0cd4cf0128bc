import { expect } from "chai";
import { artifacts } from "hardhat";
import { CONTRACT_SIZE_LIMIT, contractSizes } from "../../scripts/contract-sizes";

describe("contract sizes", function () {
  it(`keeps every deployed production contract at most ${CONTRACT_SIZE_LIMIT} bytes`, async function () {
    const sizes = await contractSizes(artifacts);
    // The hub and the managers must be there, or the check would pass on an empty list.
    for (const name of ["JobRegistry", "StakeManager", "DisputeManager", "QuorumManager", "PaymentVault", "ModelRegistry"]) {
      expect(sizes, name).to.have.property(name);
    }
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > CONTRACT_SIZE_LIMIT);
    expect(over, `over ${CONTRACT_SIZE_LIMIT} bytes: ${over.map(([n, b]) => `${n} ${b}`).join(", ")}`).to.deep.equal([]);
  });
});
