import { expect } from "chai";
import { loadFixture, mine } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import { RandomnessProbe__factory, TestVrfCoordinator__factory, VrfRandomnessAdapter__factory } from "../../packages/node/src/typechain";
import type { VrfRandomnessAdapter } from "../../packages/node/src/typechain";

/** Blocks after the request's block during which a fulfilment is accepted. */
const TIMEOUT = 20n;
const Status = { Pending: 0n, Ready: 1n, Lost: 2n } as const;
/** TestVrfCoordinator.Mode */
const Mode = { Deferred: 0, FulfilNew: 1, FulfilQueued: 2, RepeatId: 3 } as const;

async function deployVrfFixture() {
  const [deployer, consumer, outsider, second] = await ethers.getSigners();
  const coordinator = await new TestVrfCoordinator__factory(deployer).deploy();
  const adapter = await new VrfRandomnessAdapter__factory(deployer).deploy(coordinator, TIMEOUT);
  const probe = await new RandomnessProbe__factory(deployer).deploy();
  await adapter.wire([consumer.address, await probe.getAddress()]);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  return { deployer, consumer, outsider, second, coordinator, adapter, probe, chainId };
}

type Fixture = Awaited<ReturnType<typeof deployVrfFixture>>;

/** The value the adapter stores for a word: domain-separated by target, chain and adapter. */
function derive(word: string, target: bigint, chainId: bigint, adapter: string): string {
  return ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["bytes32", "uint64", "uint256", "address"], [word, target, chainId, adapter]));
}

/** The requests a transaction made through the adapter, from its RandomnessRequested logs. */
async function requestsIn(adapter: VrfRandomnessAdapter, tx: ContractTransactionResponse) {
  const receipt = await tx.wait();
  if (receipt === null) throw new Error("no receipt");
  const address = await adapter.getAddress();
  const requests = receipt.logs
    .filter((log) => log.address === address)
    .map((log) => adapter.interface.parseLog(log))
    .filter((parsed) => parsed?.name === "RandomnessRequested")
    .map((parsed) => ({ target: parsed!.args.target as bigint, requestId: parsed!.args.requestId as bigint }));
  return { requests, block: BigInt(receipt.blockNumber), gasUsed: receipt.gasUsed };
}

/** One request from the EOA consumer: its target, the coordinator's id and the request's block. */
async function requestOne(f: Fixture) {
  const { requests, block, gasUsed } = await requestsIn(f.adapter, await f.adapter.connect(f.consumer).request());
  expect(requests).to.have.length(1);
  return { ...requests[0], block, gasUsed };
}

/** `randomnessOf(target)` as a plain [status, value] pair. */
async function read(adapter: VrfRandomnessAdapter, target: bigint): Promise<[bigint, string]> {
  const [status, value] = await adapter.randomnessOf(target);
  return [status, value];
}

/** Mines until the latest block is `n` (calls then run with block.number == n, a transaction in n + 1). */
async function mineTo(n: bigint): Promise<void> {
  const latest = BigInt(await ethers.provider.getBlockNumber());
  if (n > latest) await mine(n - latest);
}

const WORD = ethers.id("the VRF's word");

describe("VrfRandomnessAdapter", function () {
  describe("constructor", function () {
    it("reverts with ParameterOutOfBounds for a timeout below 1 or above 100,000 blocks", async function () {
      const [deployer] = await ethers.getSigners();
      const coordinator = await new TestVrfCoordinator__factory(deployer).deploy();
      const factory = new VrfRandomnessAdapter__factory(deployer);
      for (const bad of [0n, 100_001n]) {
        await expect(factory.deploy(coordinator, bad))
          .to.be.revertedWithCustomError(factory, "ParameterOutOfBounds")
          .withArgs("fulfilmentTimeout", bad, 1n, 100_000n);
      }
    });

    it("accepts the bounds themselves and keeps the coordinator and the deployer", async function () {
      const [deployer] = await ethers.getSigners();
      const coordinator = await new TestVrfCoordinator__factory(deployer).deploy();
      for (const good of [1n, 100_000n]) {
        const adapter = await new VrfRandomnessAdapter__factory(deployer).deploy(coordinator, good);
        expect(await adapter.FULFILMENT_TIMEOUT()).to.equal(good);
        expect(await adapter.COORDINATOR()).to.equal(await coordinator.getAddress());
        expect(await adapter.DEPLOYER()).to.equal(deployer.address);
        expect(await adapter.delay()).to.equal(1n);
      }
    });

    it("reverts with ZeroAddress for a zero coordinator", async function () {
      const [deployer] = await ethers.getSigners();
      const factory = new VrfRandomnessAdapter__factory(deployer);
      await expect(factory.deploy(ethers.ZeroAddress, TIMEOUT)).to.be.revertedWithCustomError(factory, "ZeroAddress").withArgs("coordinator");
    });
  });

  describe("wire", function () {
    async function unwired() {
      const [deployer, consumer, outsider] = await ethers.getSigners();
      const coordinator = await new TestVrfCoordinator__factory(deployer).deploy();
      const adapter = await new VrfRandomnessAdapter__factory(deployer).deploy(coordinator, TIMEOUT);
      return { deployer, consumer, outsider, adapter };
    }

    it("lets the deployer wire the consumers once, one ConsumerWired each", async function () {
      const { consumer, outsider, adapter } = await loadFixture(unwired);
      await expect(adapter.wire([consumer.address, outsider.address]))
        .to.emit(adapter, "ConsumerWired")
        .withArgs(consumer.address)
        .and.to.emit(adapter, "ConsumerWired")
        .withArgs(outsider.address);
      expect(await adapter.isConsumer(consumer.address)).to.equal(true);
      await expect(adapter.wire([consumer.address])).to.be.revertedWithCustomError(adapter, "AlreadyWired");
    });

    it("reverts with UnauthorizedCaller for anyone but the deployer", async function () {
      const { consumer, outsider, adapter } = await loadFixture(unwired);
      await expect(adapter.connect(outsider).wire([consumer.address])).to.be.revertedWithCustomError(adapter, "UnauthorizedCaller").withArgs(outsider.address);
    });

    it("reverts with ParameterOutOfBounds for no consumer or more than 4", async function () {
      const { adapter } = await loadFixture(unwired);
      const five = Array.from({ length: 5 }, () => ethers.Wallet.createRandom().address);
      await expect(adapter.wire([])).to.be.revertedWithCustomError(adapter, "ParameterOutOfBounds").withArgs("consumers", 0n, 1n, 4n);
      await expect(adapter.wire(five)).to.be.revertedWithCustomError(adapter, "ParameterOutOfBounds").withArgs("consumers", 5n, 1n, 4n);
    });

    it("reverts with ZeroAddress for a zero consumer", async function () {
      const { consumer, adapter } = await loadFixture(unwired);
      await expect(adapter.wire([consumer.address, ethers.ZeroAddress])).to.be.revertedWithCustomError(adapter, "ZeroAddress").withArgs("consumer");
    });

    it("before wiring nobody may request", async function () {
      const { deployer, adapter } = await loadFixture(unwired);
      await expect(adapter.request()).to.be.revertedWithCustomError(adapter, "UnauthorizedCaller").withArgs(deployer.address);
    });
  });

  describe("request", function () {
    it("reverts with UnauthorizedCaller for an address that is not a wired consumer", async function () {
      const { adapter, outsider, deployer } = await loadFixture(deployVrfFixture);
      for (const caller of [outsider, deployer]) {
        await expect(adapter.connect(caller).request()).to.be.revertedWithCustomError(adapter, "UnauthorizedCaller").withArgs(caller.address);
      }
    });

    it("assigns targets 1, 2, 3, ... and maps each to the coordinator's request id and back", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { adapter, coordinator, consumer } = f;
      for (const expected of [1n, 2n, 3n]) {
        expect(await adapter.nextTarget()).to.equal(expected);
        const tx = await adapter.connect(consumer).request();
        const { requests, block } = await requestsIn(adapter, tx);
        const requestId = await coordinator.requestIds(expected - 1n);
        expect(requests).to.deep.equal([{ target: expected, requestId }]);
        await expect(tx).to.emit(adapter, "RandomnessRequested").withArgs(expected, requestId, consumer.address);
        expect(await adapter.requestOf(expected)).to.deep.equal([requestId, block]);
        expect(await adapter.targetOfRequest(requestId)).to.equal(expected);
      }
      expect(await adapter.requestOf(4n)).to.deep.equal([0n, 0n]);
      expect(await adapter.targetOfRequest(12345n)).to.equal(0n);
    });

    it("targetOf returns the next target whatever the block number", async function () {
      const f = await loadFixture(deployVrfFixture);
      await requestOne(f);
      for (const blockNumber of [0n, 1n, 10n ** 9n, 2n ** 256n - 1n]) expect(await f.adapter.targetOf(blockNumber)).to.equal(2n);
    });

    it("works with a coordinator whose ids start at 0: an unrequested target does not borrow request 0", async function () {
      const f = await loadFixture(deployVrfFixture);
      await f.coordinator.setSequentialIds(true);
      const first = await requestOne(f);
      expect([first.target, first.requestId]).to.deep.equal([1n, 0n]);
      expect(await f.adapter.targetOfRequest(0n)).to.equal(1n);
      expect(await f.adapter.requestOf(1n)).to.deep.equal([0n, first.block]);
      for (const unrequested of [0n, 2n]) expect(await f.adapter.requestOf(unrequested)).to.deep.equal([0n, 0n]);
      await mineTo(first.block + TIMEOUT + 1n);
      expect((await read(f.adapter, 1n))[0]).to.equal(Status.Lost);
      expect((await read(f.adapter, 2n))[0]).to.equal(Status.Pending); // not request 0's Lost
      await f.adapter.connect(f.consumer).request();
      expect(await f.adapter.requestOf(2n)).to.deep.equal([1n, first.block + TIMEOUT + 2n]);
      await f.coordinator.fulfil(1n, WORD);
      expect((await read(f.adapter, 2n))[0]).to.equal(Status.Ready);
    });

    it("reverts with DuplicateRequestId when the coordinator returns an id it returned before", async function () {
      const f = await loadFixture(deployVrfFixture);
      const first = await requestOne(f);
      await f.coordinator.setMode(Mode.RepeatId);
      await expect(f.adapter.connect(f.consumer).request())
        .to.be.revertedWithCustomError(f.adapter, "DuplicateRequestId")
        .withArgs(first.requestId, first.target);
    });
  });

  describe("fulfillRandomWord", function () {
    it("stores keccak256(word, target, chainid, adapter), emits RandomnessRecorded, and the target is Ready", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId } = await requestOne(f);
      const expected = derive(WORD, target, f.chainId, await f.adapter.getAddress());
      await expect(f.coordinator.fulfil(requestId, WORD)).to.emit(f.adapter, "RandomnessRecorded").withArgs(target, expected);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Ready, expected]);
    });

    it("the same word gives different values for different targets and adapters", async function () {
      const f = await loadFixture(deployVrfFixture);
      const other = await new VrfRandomnessAdapter__factory(f.deployer).deploy(f.coordinator, TIMEOUT);
      await other.wire([f.consumer.address]);
      const a = await requestOne(f);
      const b = await requestOne(f);
      const c = (await requestsIn(other, await other.connect(f.consumer).request())).requests[0];
      for (const r of [a, b, c]) await f.coordinator.fulfil(r.requestId, WORD);
      const values = new Set([(await f.adapter.randomnessOf(a.target))[1], (await f.adapter.randomnessOf(b.target))[1], (await other.randomnessOf(c.target))[1]]);
      expect(values.size).to.equal(3);
    });

    it("reverts with UnauthorizedCaller for anyone but the coordinator", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { requestId } = await requestOne(f);
      for (const caller of [f.outsider, f.consumer, f.deployer]) {
        await expect(f.adapter.connect(caller).fulfillRandomWord(requestId, WORD))
          .to.be.revertedWithCustomError(f.adapter, "UnauthorizedCaller")
          .withArgs(caller.address);
      }
    });

    it("reverts with AlreadyFulfilled on a second fulfilment, and the first value stays", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId } = await requestOne(f);
      await f.coordinator.fulfil(requestId, WORD);
      const [, value] = await read(f.adapter, target);
      await expect(f.coordinator.fulfil(requestId, ethers.id("another word")))
        .to.be.revertedWithCustomError(f.adapter, "AlreadyFulfilled")
        .withArgs(requestId, target);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Ready, value]);
    });

    it("reverts with FulfilmentTooLate once the target is Lost, and it stays Lost", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId, block } = await requestOne(f);
      await mineTo(block + TIMEOUT); // the fulfilment is mined in block + TIMEOUT + 1
      await expect(f.coordinator.fulfil(requestId, WORD))
        .to.be.revertedWithCustomError(f.adapter, "FulfilmentTooLate")
        .withArgs(target, block + TIMEOUT);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Lost, ethers.ZeroHash]);
    });

    it("accepts a fulfilment in the last block of the timeout", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId, block } = await requestOne(f);
      await mineTo(block + TIMEOUT - 1n);
      await expect(f.coordinator.fulfil(requestId, WORD)).to.emit(f.adapter, "RandomnessRecorded");
      expect(await ethers.provider.getBlockNumber()).to.equal(Number(block + TIMEOUT));
      expect((await read(f.adapter, target))[0]).to.equal(Status.Ready);
    });

    it("reverts with FulfilmentInRequestBlock for a fulfilment in a later transaction of the request's block", async function () {
      const f = await loadFixture(deployVrfFixture);
      // The coordinator's next id is known in advance: keccak256(abi.encode("TestVrfCoordinator", count)).
      const requestId = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["TestVrfCoordinator", 1n])));
      await network.provider.send("evm_setAutomine", [false]);
      try {
        const requestTx = await f.adapter.connect(f.consumer).request({ gasLimit: 500_000 });
        const fulfilTx = await f.coordinator.connect(f.outsider).fulfil(requestId, WORD, { gasLimit: 500_000 });
        await mine(1);
        const requestReceipt = await requestTx.wait();
        const fulfilReceipt = await ethers.provider.getTransactionReceipt(fulfilTx.hash);
        expect(fulfilReceipt!.blockNumber).to.equal(requestReceipt!.blockNumber);
        expect(fulfilReceipt!.status).to.equal(0);
        const trace = (await network.provider.send("debug_traceTransaction", [fulfilTx.hash, { disableStorage: true, disableMemory: true, disableStack: true }])) as {
          returnValue: string;
        };
        const error = f.adapter.interface.parseError("0x" + trace.returnValue.replace(/^0x/, ""));
        expect(error?.name).to.equal("FulfilmentInRequestBlock");
        expect(error?.args[0]).to.equal(1n);
        expect(error?.args[1]).to.equal(BigInt(requestReceipt!.blockNumber));
      } finally {
        await network.provider.send("evm_setAutomine", [true]);
      }
      expect((await read(f.adapter, 1n))[0]).to.equal(Status.Pending);
      await expect(f.coordinator.fulfil(requestId, WORD)).to.emit(f.adapter, "RandomnessRecorded"); // the next block is fine
    });
  });

  describe("randomnessOf lifecycle: Pending, Ready, Lost", function () {
    it("is Pending until fulfilled and Ready for good after, past the timeout included", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId } = await requestOne(f);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      await mine(5);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      await f.coordinator.fulfil(requestId, WORD);
      const expected = derive(WORD, target, f.chainId, await f.adapter.getAddress());
      expect(await read(f.adapter, target)).to.deep.equal([Status.Ready, expected]);
      await mine(TIMEOUT * 10n);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Ready, expected]);
    });

    it("is Pending through block request + FULFILMENT_TIMEOUT and Lost from the block after it when unfulfilled", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, block } = await requestOne(f);
      await mineTo(block + TIMEOUT);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
      await mine(1);
      expect(await read(f.adapter, target)).to.deep.equal([Status.Lost, ethers.ZeroHash]);
    });

    it("is Pending for a target not requested yet", async function () {
      const { adapter } = await loadFixture(deployVrfFixture);
      await mine(TIMEOUT * 2n);
      for (const target of [0n, 1n, 7n]) expect(await read(adapter, target)).to.deep.equal([Status.Pending, ethers.ZeroHash]);
    });
  });

  describe("record", function () {
    it("returns the stored value, every time, without an event", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, requestId } = await requestOne(f);
      await f.coordinator.fulfil(requestId, WORD);
      const expected = derive(WORD, target, f.chainId, await f.adapter.getAddress());
      expect(await f.adapter.record(target)).to.equal(expected);
      await mine(TIMEOUT * 2n);
      expect(await f.adapter.record(target)).to.equal(expected);
      // Through the interface the hub uses, `record` is a transaction: it changes nothing and logs nothing.
      const asSource = await ethers.getContractAt("IRandomnessSource", await f.adapter.getAddress());
      const receipt = await (await asSource.record(target)).wait();
      expect(receipt!.logs).to.have.length(0);
    });

    it("reverts with RandomnessPending before the fulfilment", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target } = await requestOne(f);
      const latest = BigInt(await ethers.provider.getBlockNumber());
      await expect(f.adapter.record(target)).to.be.revertedWithCustomError(f.adapter, "RandomnessPending").withArgs(target, latest);
    });

    it("reverts with RandomnessLost after the timeout", async function () {
      const f = await loadFixture(deployVrfFixture);
      const { target, block } = await requestOne(f);
      await mineTo(block + TIMEOUT + 1n);
      await expect(f.adapter.record(target)).to.be.revertedWithCustomError(f.adapter, "RandomnessLost").withArgs(target);
    });
  });

  describe("grinding in the triggering transaction", function () {
    it("a consumer contract that requests and then reads (RandomnessProbe) only ever sees Pending", async function () {
      const { adapter, probe } = await loadFixture(deployVrfFixture);
      for (let i = 0; i < 3; i++) {
        await expect(probe.tryToGrind(adapter, 3)).to.emit(probe, "OutcomeHidden").withArgs(BigInt(i + 1));
      }
      await expect(probe.tryToGrindTwice(adapter)).to.emit(probe, "OutcomeHidden").withArgs(4n);
    });

    it("a coordinator that answers the request being made inside requestRandomWord meets UnknownRequest", async function () {
      const { adapter, coordinator, probe } = await loadFixture(deployVrfFixture);
      await coordinator.setMode(Mode.FulfilNew);
      const requestId = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["string", "uint256"], ["TestVrfCoordinator", 1n])));
      await expect(probe.tryToGrind(adapter, 0)).to.be.revertedWithCustomError(adapter, "UnknownRequest").withArgs(requestId);
    });

    it("a coordinator that answers an earlier request of the same transaction meets FulfilmentInRequestBlock", async function () {
      // The attack the same-block guard stops: the probe's second request makes the coordinator
      // fulfil the first one synchronously, and the probe reads it before its transaction ends.
      // Without the guard this reverts with the probe's OutcomeReadable instead.
      const { adapter, coordinator, probe } = await loadFixture(deployVrfFixture);
      await coordinator.setMode(Mode.FulfilQueued);
      const block = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      await expect(probe.tryToGrindTwice(adapter)).to.be.revertedWithCustomError(adapter, "FulfilmentInRequestBlock").withArgs(1n, block);
      expect(await adapter.nextTarget()).to.equal(1n);
    });

    it("the same queue-settling coordinator may answer an earlier request from a later block", async function () {
      const f = await loadFixture(deployVrfFixture);
      const first = await requestOne(f);
      await f.coordinator.setMode(Mode.FulfilQueued);
      const second = await requestOne(f);
      expect((await read(f.adapter, first.target))[0]).to.equal(Status.Ready);
      expect((await read(f.adapter, second.target))[0]).to.equal(Status.Pending);
      expect(await f.adapter.targetOfRequest(first.requestId)).to.equal(first.target);
    });
  });
});
