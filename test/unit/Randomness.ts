import { expect } from "chai";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import {
  BlockHashRandomness__factory,
  BlockHeaderHarness__factory,
  HistoryStorageMock__factory,
  InstantRandomness__factory,
  PrevrandaoHeaderRandomness__factory,
  PrevrandaoWitness__factory,
  RandomnessProbe__factory,
} from "../../packages/node/src/typechain";
import type { BlockHashRandomness } from "../../packages/node/src/typechain";
import { encodeBlockHeader, type RpcBlockHeader } from "../../packages/node/src";

const DELAY = 4n;
const HISTORY_STORAGE = "0x0000F90827F1C53a10cb7A02335B175320002935";
const Status = { Pending: 0n, Ready: 1n, Lost: 2n } as const;
/** More than the 256 blocks `blockhash` reaches back. */
const PAST_BLOCKHASH_WINDOW = 300;

async function deployRandomnessFixture() {
  const [deployer] = await ethers.getSigners();
  const source = await new BlockHashRandomness__factory(deployer).deploy(DELAY, true);
  const other = await new BlockHashRandomness__factory(deployer).deploy(DELAY, true);
  const headerSource = await new PrevrandaoHeaderRandomness__factory(deployer).deploy(DELAY, true);
  const probe = await new RandomnessProbe__factory(deployer).deploy();
  const instant = await new InstantRandomness__factory(deployer).deploy();
  const harness = await new BlockHeaderHarness__factory(deployer).deploy();
  const witness = await new PrevrandaoWitness__factory(deployer).deploy();
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { deployer, source, other, headerSource, probe, instant, harness, witness, chainId };
}

/** The value a source derives from a block's seed (its hash or its prevrandao). */
function derive(seed: string, target: bigint, chainId: bigint, source: string): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint64", "uint256", "address"], [seed, target, chainId, source]));
}

async function rawBlock(n: bigint): Promise<RpcBlockHeader> {
  return (await network.provider.send("eth_getBlockByNumber", [ethers.toQuantity(n), false])) as RpcBlockHeader;
}

async function blockHash(n: bigint): Promise<string> {
  const block = await ethers.provider.getBlock(n);
  if (block?.hash == null) throw new Error(`no block ${n}`);
  return block.hash;
}

async function blockOf(tx: ContractTransactionResponse): Promise<bigint> {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  return BigInt(receipt.blockNumber);
}

/** `randomnessOf(target)` as a plain [status, value] pair (an ethers Result does not deep-equal an array). */
async function read(source: Pick<BlockHashRandomness, "randomnessOf">, target: bigint): Promise<[bigint, string]> {
  const [status, value] = await source.randomnessOf(target);
  return [status, value];
}

/** Mines until the latest block is `n` (calls then run with block.number == n). */
async function mineTo(n: bigint): Promise<void> {
  const latest = BigInt(await ethers.provider.getBlockNumber());
  if (n > latest) await mine(n - latest);
}

describe("Randomness", function () {
  describe("BlockHashRandomness constructor", function () {
    it("reverts with ParameterOutOfBounds for a delay below 2 or above 64", async function () {
      const [deployer] = await ethers.getSigners();
      const factory = new BlockHashRandomness__factory(deployer);
      for (const bad of [0n, 1n, 65n]) {
        await expect(factory.deploy(bad, true)).to.be.revertedWithCustomError(factory, "ParameterOutOfBounds").withArgs("delay", bad, 2n, 64n);
      }
    });

    it("accepts the bounds themselves", async function () {
      const [deployer] = await ethers.getSigners();
      for (const good of [2n, 64n]) {
        const source = await new BlockHashRandomness__factory(deployer).deploy(good, true);
        expect(await source.delay()).to.equal(good);
        expect(await source.DELAY()).to.equal(good);
      }
    });
  });

  describe("request and targetOf", function () {
    it("request returns block.number + delay in the triggering transaction, and targetOf agrees", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      const tx = await probe.tryToGrind(source, 0);
      const n = await blockOf(tx);
      await expect(tx).to.emit(probe, "OutcomeHidden").withArgs(n + DELAY);
      expect(await source.targetOf(n)).to.equal(n + DELAY);
      expect(await source.request()).to.equal(BigInt(await ethers.provider.getBlockNumber()) + DELAY);
    });

    it("targetOf reverts with ParameterOutOfBounds when the target would not fit 64 bits", async function () {
      const { source } = await loadFixture(deployRandomnessFixture);
      const max = 2n ** 64n - 1n - DELAY;
      expect(await source.targetOf(max)).to.equal(2n ** 64n - 1n);
      await expect(source.targetOf(max + 1n)).to.be.revertedWithCustomError(source, "ParameterOutOfBounds").withArgs("blockNumber", max + 1n, 0n, max);
    });
  });

  describe("randomnessOf lifecycle: Pending, Ready, Lost", function () {
    it("is Pending up to and including the target block, Ready after it, Lost past the blockhash window", async function () {
      const { source, probe, chainId } = await loadFixture(deployRandomnessFixture);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mineTo(target - 1n);
      expect(await read(source, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      await mineTo(target);
      expect(await read(source, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      await mine(1);
      const expected = derive(await blockHash(target), target, chainId, await source.getAddress());
      expect(await read(source, target)).to.deep.equal([Status.Ready, expected]);
      await mineTo(target + 256n);
      expect(await read(source, target)).to.deep.equal([Status.Ready, expected]);
      await mine(PAST_BLOCKHASH_WINDOW);
      expect(await read(source, target)).to.deep.equal([Status.Lost, ethers.ZeroHash]);
    });
  });

  describe("record", function () {
    it("persists the value so that it survives the blockhash window, and emits RandomnessRecorded once", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mineTo(target + 1n);
      const [, value] = await read(source, target);
      await expect(source.record(target)).to.emit(source, "RandomnessRecorded").withArgs(target, value);
      await mine(PAST_BLOCKHASH_WINDOW);
      expect(await read(source, target)).to.deep.equal([Status.Ready, value]);
      expect(await source.record.staticCall(target)).to.equal(value);
      await expect(source.record(target)).not.to.emit(source, "RandomnessRecorded");
    });

    it("reverts with RandomnessPending while the target block is not mined", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mineTo(target - 1n); // the record transaction is mined in block `target`
      await expect(source.record(target)).to.be.revertedWithCustomError(source, "RandomnessPending").withArgs(target, target);
    });

    it("reverts with RandomnessLost once the value can no longer be read", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mine(Number(DELAY) + PAST_BLOCKHASH_WINDOW);
      await expect(source.record(target)).to.be.revertedWithCustomError(source, "RandomnessLost").withArgs(target);
    });
  });

  describe("values", function () {
    it("differ per target and per source", async function () {
      const { source, other } = await loadFixture(deployRandomnessFixture);
      const first = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      await mine(20);
      const values = new Set<string>();
      for (let t = first; t < first + 16n; t++) {
        const [mine, theirs] = await Promise.all([source.randomnessOf(t), other.randomnessOf(t)]);
        expect(mine[0]).to.equal(Status.Ready);
        expect(theirs[0]).to.equal(Status.Ready);
        values.add(mine[1]).add(theirs[1]);
      }
      expect(values.size).to.equal(32);
    });
  });

  describe("grinding in the triggering transaction", function () {
    it("a contract that requests and then reads can never see a value or record one", async function () {
      const { deployer, probe } = await loadFixture(deployRandomnessFixture);
      for (const delay of [2n, 3n, 64n]) {
        const source = await new BlockHashRandomness__factory(deployer).deploy(delay, true);
        for (let i = 0; i < 10; i++) {
          await mine(1 + ((i * 37) % 300)); // triggers at varied heights, some far past earlier targets
          await expect(probe.tryToGrind(source, 3)).to.emit(probe, "OutcomeHidden");
        }
      }
    });

    it("the probe does catch a source that is readable in the triggering transaction", async function () {
      const { probe, instant } = await loadFixture(deployRandomnessFixture);
      await expect(probe.tryToGrind(instant, 0)).to.be.revertedWithCustomError(probe, "OutcomeReadable");
    });

    it("the header source is also never readable in the triggering transaction", async function () {
      const { probe, headerSource } = await loadFixture(deployRandomnessFixture);
      await expect(probe.tryToGrind(headerSource, 3)).to.emit(probe, "OutcomeHidden");
    });
  });

  describe("EIP-2935 history fallback", function () {
    it("Hardhat 2.29 has a stub at the history address that reverts, which reads as Lost", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      expect(await ethers.provider.getCode(HISTORY_STORAGE)).to.not.equal("0x");
      await expect(ethers.provider.call({ to: HISTORY_STORAGE, data: ethers.zeroPadValue("0x01", 32) })).to.be.rejected;
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mine(Number(DELAY) + PAST_BLOCKHASH_WINDOW);
      expect((await source.randomnessOf(target))[0]).to.equal(Status.Lost);
    });

    it("with no code at the history address, a target past the blockhash window is Lost", async function () {
      const { source, probe } = await loadFixture(deployRandomnessFixture);
      await network.provider.send("hardhat_setCode", [HISTORY_STORAGE, "0x"]);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mine(Number(DELAY) + PAST_BLOCKHASH_WINDOW);
      expect((await source.randomnessOf(target))[0]).to.equal(Status.Lost);
      await expect(source.record(target)).to.be.revertedWithCustomError(source, "RandomnessLost").withArgs(target);
    });

    it("reads a hash from the history contract past the blockhash window, until its 8191-block window ends", async function () {
      const { deployer, source, probe, chainId } = await loadFixture(deployRandomnessFixture);
      const mock = await new HistoryStorageMock__factory(deployer).deploy();
      await network.provider.send("hardhat_setCode", [HISTORY_STORAGE, await ethers.provider.getCode(await mock.getAddress())]);
      const history = HistoryStorageMock__factory.connect(HISTORY_STORAGE, deployer);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mine(Number(DELAY) + PAST_BLOCKHASH_WINDOW);
      // The history contract holds zero for this block (as for blocks before a chain activated it).
      expect((await source.randomnessOf(target))[0]).to.equal(Status.Lost);
      const hash = await blockHash(target);
      await history.setHash(target, hash);
      const expected = derive(hash, target, chainId, await source.getAddress());
      expect(await read(source, target)).to.deep.equal([Status.Ready, expected]);
      await mineTo(target + 8191n); // the last block in which the history contract serves `target`
      expect(await read(source, target)).to.deep.equal([Status.Ready, expected]);
      await mine(1);
      expect((await source.randomnessOf(target))[0]).to.equal(Status.Lost);
      await expect(source.record(target)).to.be.revertedWithCustomError(source, "RandomnessLost").withArgs(target);
    });

    it("with useHistory false, the history contract is never asked", async function () {
      const { deployer, probe } = await loadFixture(deployRandomnessFixture);
      const source = await new BlockHashRandomness__factory(deployer).deploy(DELAY, false);
      expect(await source.USE_HISTORY()).to.equal(false);
      const mock = await new HistoryStorageMock__factory(deployer).deploy();
      await network.provider.send("hardhat_setCode", [HISTORY_STORAGE, await ethers.provider.getCode(await mock.getAddress())]);
      const target = (await blockOf(await probe.tryToGrind(source, 0))) + DELAY;
      await mine(Number(DELAY) + PAST_BLOCKHASH_WINDOW);
      await HistoryStorageMock__factory.connect(HISTORY_STORAGE, deployer).setHash(target, await blockHash(target));
      expect((await source.randomnessOf(target))[0]).to.equal(Status.Lost);
    });
  });

  describe("encodeBlockHeader", function () {
    it("re-encodes Hardhat's headers so that they hash to the block hash, with and without transactions", async function () {
      const { witness } = await loadFixture(deployRandomnessFixture);
      await witness.see();
      await mine(2);
      const latest = BigInt(await ethers.provider.getBlockNumber());
      for (let n = 0n; n <= latest; n++) {
        const block = await rawBlock(n);
        expect(ethers.keccak256(encodeBlockHeader(block)), `block ${n}`).to.equal(block.hash);
      }
    });

    it("throws when a later hardfork's field is present without an earlier one", async function () {
      const block = await rawBlock(BigInt(await ethers.provider.getBlockNumber()));
      const { withdrawalsRoot: _dropped, ...gap } = block;
      expect(() => encodeBlockHeader(gap)).to.throw(/but not the earlier field withdrawalsRoot/);
    });
  });

  describe("BlockHeader.mixHashOf", function () {
    it("reads field 13 of a real header", async function () {
      const { harness } = await loadFixture(deployRandomnessFixture);
      const block = await rawBlock(BigInt(await ethers.provider.getBlockNumber()));
      expect(await harness.mixHashOf(encodeBlockHeader(block))).to.equal(block.mixHash);
    });

    it("reverts with MalformedHeader for input that is not a header-shaped list", async function () {
      const { harness } = await loadFixture(deployRandomnessFixture);
      const fields = (mix: string): string[] => [...Array(13).fill("0x" + "11".repeat(32)), mix, "0x0000000000000000"];
      const good = ethers.encodeRlp(fields("0x" + "22".repeat(32)));
      expect(await harness.mixHashOf(good)).to.equal("0x" + "22".repeat(32));
      const malformed = async (input: string, offset: bigint) =>
        expect(harness.mixHashOf(input)).to.be.revertedWithCustomError(harness, "MalformedHeader").withArgs(offset);
      await malformed("0x", 0n);
      await malformed(ethers.encodeRlp(["0x01"]), 0n); // a short list
      await malformed(ethers.concat([good, "0x00"]), 0n); // trailing bytes
      await malformed(ethers.dataSlice(good, 0, 100), 0n); // truncated
      const withList = ethers.encodeRlp([...fields("0x" + "22".repeat(32)).slice(0, 2), ["0x01"], ...fields("0x").slice(3)]);
      await malformed(withList, 3n + 2n * 33n); // field 2 is a list
      const shortMix = ethers.encodeRlp(fields("0x" + "22".repeat(31)));
      await malformed(shortMix, 3n + 13n * 33n); // mixHash is not 32 bytes
      const fewFields = ethers.encodeRlp(fields("0x" + "22".repeat(32)).slice(0, 12).concat(["0x" + "33".repeat(30)]));
      await malformed(fewFields, 3n + 12n * 33n + 31n); // the list ends before mixHash
    });
  });

  describe("PrevrandaoHeaderRandomness.prove", function () {
    /** Triggers a draw, then has the witness record block.prevrandao inside the target block itself. */
    async function triggerAndWitness() {
      const fixture = await loadFixture(deployRandomnessFixture);
      const { probe, headerSource, witness } = fixture;
      const target = (await blockOf(await probe.tryToGrind(headerSource, 0))) + DELAY;
      await mineTo(target - 1n);
      expect(await blockOf(await witness.see())).to.equal(target);
      return { ...fixture, target };
    }

    it("records keccak256(prevrandao, target, chainid, source) from the target block's header", async function () {
      const { headerSource, witness, target, chainId } = await triggerAndWitness();
      const prevrandao = ethers.toBeHex(await witness.seen(target), 32);
      const block = await rawBlock(target);
      expect(block.mixHash).to.equal(prevrandao);
      const expected = derive(prevrandao, target, chainId, await headerSource.getAddress());
      await expect(headerSource.prove(target, encodeBlockHeader(block))).to.emit(headerSource, "RandomnessRecorded").withArgs(target, expected);
      expect(await read(headerSource, target)).to.deep.equal([Status.Ready, expected]);
      expect(await headerSource.record.staticCall(target)).to.equal(expected);
      await expect(headerSource.prove(target, encodeBlockHeader(block))).not.to.emit(headerSource, "RandomnessRecorded");
      await mine(PAST_BLOCKHASH_WINDOW);
      expect(await read(headerSource, target)).to.deep.equal([Status.Ready, expected]);
    });

    it("stays Pending after the target block until proven, and record reverts with RandomnessPending", async function () {
      const { headerSource, target } = await triggerAndWitness();
      await mine(1);
      expect(await read(headerSource, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      const next = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      await expect(headerSource.record(target)).to.be.revertedWithCustomError(headerSource, "RandomnessPending").withArgs(target, next);
    });

    it("reverts with RandomnessPending before the target block is mined", async function () {
      const { headerSource, probe } = await loadFixture(deployRandomnessFixture);
      const target = (await blockOf(await probe.tryToGrind(headerSource, 0))) + DELAY;
      const latest = await rawBlock(BigInt(await ethers.provider.getBlockNumber()));
      await expect(headerSource.prove(target, encodeBlockHeader(latest)))
        .to.be.revertedWithCustomError(headerSource, "RandomnessPending")
        .withArgs(target, BigInt(latest.number) + 1n);
    });

    it("reverts with HeaderMismatch for another block's header", async function () {
      const { headerSource, target } = await triggerAndWitness();
      const wrong = encodeBlockHeader(await rawBlock(target - 1n));
      await expect(headerSource.prove(target, wrong))
        .to.be.revertedWithCustomError(headerSource, "HeaderMismatch")
        .withArgs(target, await blockHash(target), ethers.keccak256(wrong));
    });

    it("is Lost once the block hash is gone unproven: prove and record revert with RandomnessLost", async function () {
      const { headerSource, target } = await triggerAndWitness();
      const header = encodeBlockHeader(await rawBlock(target));
      await mine(PAST_BLOCKHASH_WINDOW);
      expect(await read(headerSource, target)).to.deep.equal([Status.Lost, ethers.ZeroHash]);
      await expect(headerSource.prove(target, header)).to.be.revertedWithCustomError(headerSource, "RandomnessLost").withArgs(target);
      await expect(headerSource.record(target)).to.be.revertedWithCustomError(headerSource, "RandomnessLost").withArgs(target);
    });
  });
});
