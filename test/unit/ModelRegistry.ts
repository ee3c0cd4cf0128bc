import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { ethers, network } from "hardhat";
import { ModelRegistry__factory } from "../../packages/node/src/typechain";
import type { IModelRegistry } from "../../packages/node/src/typechain/contracts/ModelRegistry";
import { ALL_BUT_QUORUM, defaultPolicy, exactPolicy, MIN_AUDIT_RATE_BPS, Mode } from "../fixtures/protocol";

const MODEL_ID = 1n;
const UNKNOWN_ID = 99n;
const MAX_INPUT_BYTES = 1n << 30n;
const MAX_TOLERANCE = 10n ** 18n;

function digestOf(label: string): string {
  return ethers.sha256(ethers.toUtf8Bytes(label));
}

/** The policy as the tuple events and views carry. */
function tuple(p: IModelRegistry.ModelPolicyStruct) {
  return [
    BigInt(p.allowedModes),
    p.exact,
    BigInt(p.auditRateBps),
    BigInt(p.maxInputBytes),
    BigInt(p.minFee),
    BigInt(p.runtime),
    BigInt(p.absTolerance),
    BigInt(p.relTolerance),
    p.schemaHash,
  ];
}

function outputTuple(p: IModelRegistry.ModelPolicyStructOutput) {
  return [p.allowedModes, p.exact, p.auditRateBps, p.maxInputBytes, p.minFee, p.runtime, p.absTolerance, p.relTolerance, p.schemaHash];
}

/** A registry with model 1 (version 1) registered by `owner` under an exact policy that allows every mode. */
async function deployModelRegistryFixture() {
  const [deployer, owner, other, newOwner] = await ethers.getSigners();
  const registry = await new ModelRegistry__factory(deployer).deploy(MIN_AUDIT_RATE_BPS);
  const digest = digestOf("model-v1");
  const uri = "ipfs://bafy-model-v1";
  const policy = exactPolicy({ auditRateBps: 750, minFee: 1000n, maxInputBytes: 4096 });
  await registry.connect(owner).registerModel(digest, uri, policy);
  return { registry, owner, other, newOwner, digest, uri, policy };
}

describe("ModelRegistry", function () {
  describe("registerModel", function () {
    it("registers a model with version 1, its owner and its policy", async function () {
      const { registry, owner, digest, uri, policy } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.modelCount()).to.equal(1n);
      expect(await registry.ownerOf(MODEL_ID)).to.equal(owner.address);
      expect(await registry.versionCount(MODEL_ID)).to.equal(1n);
      const v1 = await registry.versionOf(MODEL_ID, 1);
      expect([v1.deprecated, v1.digest, v1.uri]).to.deep.equal([false, digest, uri]);
      expect(outputTuple(await registry.policyOf(MODEL_ID))).to.deep.equal(tuple(policy));
      expect(await registry.modelOfDigest(digest)).to.deep.equal([MODEL_ID, 1n]);
    });

    it("emits ModelRegistered, PolicySet and VersionPublished, and counts ids from 1", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      const digest = digestOf("second");
      const policy = defaultPolicy({ exact: true, absTolerance: 0n, relTolerance: 0n });
      expect(await registry.connect(other).registerModel.staticCall(digest, "https://models.example/2.onnx", policy)).to.equal(2n);
      await expect(registry.connect(other).registerModel(digest, "https://models.example/2.onnx", policy))
        .to.emit(registry, "ModelRegistered")
        .withArgs(2n, other.address, digest, "https://models.example/2.onnx")
        .and.to.emit(registry, "PolicySet")
        .withArgs(2n, 1n, tuple(policy))
        .and.to.emit(registry, "VersionPublished")
        .withArgs(2n, 1n, digest, "https://models.example/2.onnx");
      expect(await registry.modelCount()).to.equal(2n);
      expect(await registry.ownerOf(2n)).to.equal(other.address);
    });

    it("reverts when the digest is zero", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).registerModel(ethers.ZeroHash, "ipfs://x", defaultPolicy())).to.be.revertedWithCustomError(
        registry,
        "ZeroDigest",
      );
    });

    it("reverts when the URI is empty", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).registerModel(digestOf("x"), "", defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "InvalidURI")
        .withArgs(0n);
    });

    it("reverts when the URI is longer than 512 bytes, and accepts exactly 512", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      const long = "ipfs://" + "a".repeat(506);
      await expect(registry.connect(other).registerModel(digestOf("x"), long, defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "InvalidURI")
        .withArgs(513n);
      await expect(registry.connect(other).registerModel(digestOf("x"), long.slice(0, 512), defaultPolicy())).to.emit(
        registry,
        "ModelRegistered",
      );
    });

    it("reverts when the digest is already registered, naming its model and version", async function () {
      const { registry, owner, other, digest } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).registerModel(digest, "ipfs://copy", defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "DigestAlreadyRegistered")
        .withArgs(digest, MODEL_ID, 1n);
      const v2 = digestOf("model-v2");
      await registry.connect(owner).publishVersion(MODEL_ID, v2, "ipfs://v2");
      await expect(registry.connect(other).registerModel(v2, "ipfs://copy", defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "DigestAlreadyRegistered")
        .withArgs(v2, MODEL_ID, 2n);
    });

    it("reverts when MAX_MODELS models exist already", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      const max = await registry.MAX_MODELS();
      expect(max).to.equal(2n ** 24n - 1n);
      // Storage: _modelCount is slot 0.
      await network.provider.send("hardhat_setStorageAt", [await registry.getAddress(), ethers.toBeHex(0, 32), ethers.toBeHex(max, 32)]);
      expect(await registry.modelCount()).to.equal(max);
      await expect(registry.connect(other).registerModel(digestOf("last"), "ipfs://last", defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "TooManyModels")
        .withArgs(max);
    });

    const invalid: Array<[string, Partial<IModelRegistry.ModelPolicyStruct>]> = [
      ["allowedModes", { allowedModes: 0 }],
      ["allowedModes", { allowedModes: 0x10 }],
      ["allowedModes", { allowedModes: 0x8f }],
      ["auditRateBps", { auditRateBps: 2_001 }], // above MAX_AUDIT_RATE_BPS (20%)
      ["auditRateBps", { auditRateBps: 499 }], // OPTIMISTIC allowed, below MIN_AUDIT_RATE_BPS (5%)
      ["auditRateBps", { allowedModes: 1 << Mode.OPTIMISTIC, auditRateBps: 0 }],
      ["auditRateBps", { allowedModes: 1 << Mode.NONE, auditRateBps: 2_001 }], // the cap holds without OPTIMISTIC too
      ["exact", { allowedModes: 0x0f }], // QUORUM on a tolerant model
      ["exact", { allowedModes: 1 << Mode.QUORUM, auditRateBps: 0 }],
      ["maxInputBytes", { maxInputBytes: 0 }],
      ["maxInputBytes", { maxInputBytes: MAX_INPUT_BYTES + 1n }],
      ["runtime", { runtime: 7 * 24 * 3600 + 1 }], // above MAX_RUNTIME (7 days)
      ["absTolerance", { absTolerance: MAX_TOLERANCE + 1n }],
      ["relTolerance", { relTolerance: MAX_TOLERANCE + 1n }],
      ["exact", { exact: true, absTolerance: 1n, relTolerance: 0n }],
      ["exact", { exact: true, absTolerance: 0n, relTolerance: 1n }],
    ];
    for (const [field, override] of invalid) {
      it(`reverts with InvalidPolicy("${field}") for ${JSON.stringify(override, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))}`, async function () {
        const { registry, other } = await loadFixture(deployModelRegistryFixture);
        await expect(registry.connect(other).registerModel(digestOf("x"), "ipfs://x", defaultPolicy(override)))
          .to.be.revertedWithCustomError(registry, "InvalidPolicy")
          .withArgs(field);
      });
    }

    it("accepts every policy field at its bound", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      const edge = defaultPolicy({
        allowedModes: ALL_BUT_QUORUM,
        auditRateBps: 2_000,
        maxInputBytes: MAX_INPUT_BYTES,
        absTolerance: MAX_TOLERANCE,
        relTolerance: MAX_TOLERANCE,
      });
      await registry.connect(other).registerModel(digestOf("edge"), "ipfs://edge", edge);
      expect(outputTuple(await registry.policyOf(2n))).to.deep.equal(tuple(edge));
      // No OPTIMISTIC: no audit floor.
      const minimal = defaultPolicy({ allowedModes: 0x01, auditRateBps: 0, maxInputBytes: 1, exact: true, absTolerance: 0n, relTolerance: 0n });
      await registry.connect(other).registerModel(digestOf("minimal"), "ipfs://minimal", minimal);
      expect(outputTuple(await registry.policyOf(3n))).to.deep.equal(tuple(minimal));
      // Every mode, QUORUM included, on an exact model audited at the floor.
      const exactAll = exactPolicy({ allowedModes: 0x0f, auditRateBps: 500 });
      await registry.connect(other).registerModel(digestOf("exact-all"), "ipfs://exact-all", exactAll);
      expect(outputTuple(await registry.policyOf(4n))).to.deep.equal(tuple(exactAll));
    });
  });

  describe("publishVersion", function () {
    it("publishes the next version and indexes its digest", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      const v2 = digestOf("model-v2");
      expect(await registry.connect(owner).publishVersion.staticCall(MODEL_ID, v2, "ipfs://v2")).to.equal(2n);
      await expect(registry.connect(owner).publishVersion(MODEL_ID, v2, "ipfs://v2"))
        .to.emit(registry, "VersionPublished")
        .withArgs(MODEL_ID, 2n, v2, "ipfs://v2");
      expect(await registry.versionCount(MODEL_ID)).to.equal(2n);
      const version = await registry.versionOf(MODEL_ID, 2);
      expect([version.deprecated, version.digest, version.uri]).to.deep.equal([false, v2, "ipfs://v2"]);
      expect(await registry.modelOfDigest(v2)).to.deep.equal([MODEL_ID, 2n]);
    });

    it("reverts when the caller is not the model's owner", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).publishVersion(MODEL_ID, digestOf("v2"), "ipfs://v2"))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, other.address);
    });

    it("reverts when the model does not exist", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).publishVersion(UNKNOWN_ID, digestOf("v2"), "ipfs://v2"))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });

    it("reverts when the digest is zero, the URI invalid or the digest known", async function () {
      const { registry, owner, digest } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).publishVersion(MODEL_ID, ethers.ZeroHash, "ipfs://v2")).to.be.revertedWithCustomError(
        registry,
        "ZeroDigest",
      );
      await expect(registry.connect(owner).publishVersion(MODEL_ID, digestOf("v2"), ""))
        .to.be.revertedWithCustomError(registry, "InvalidURI")
        .withArgs(0n);
      await expect(registry.connect(owner).publishVersion(MODEL_ID, digest, "ipfs://again"))
        .to.be.revertedWithCustomError(registry, "DigestAlreadyRegistered")
        .withArgs(digest, MODEL_ID, 1n);
    });

    it("reverts when the model already has the maximum number of versions", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      // Storage: _modelCount at slot 0, _models at slot 1; Model packs owner (bits 0..159) and
      // versionCount (bits 160..175) in one slot.
      const slot = ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [MODEL_ID, 1n]));
      const packed = (65_535n << 160n) | BigInt(owner.address);
      await network.provider.send("hardhat_setStorageAt", [await registry.getAddress(), slot, ethers.toBeHex(packed, 32)]);
      expect(await registry.versionCount(MODEL_ID)).to.equal(65_535n);
      expect(await registry.ownerOf(MODEL_ID)).to.equal(owner.address);
      await expect(registry.connect(owner).publishVersion(MODEL_ID, digestOf("one too many"), "ipfs://x"))
        .to.be.revertedWithCustomError(registry, "TooManyVersions")
        .withArgs(MODEL_ID);
    });
  });

  describe("deprecateVersion", function () {
    it("marks the version deprecated and emits ModelVersionDeprecated", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).publishVersion(MODEL_ID, digestOf("v2"), "ipfs://v2");
      await expect(registry.connect(owner).deprecateVersion(MODEL_ID, 1))
        .to.emit(registry, "ModelVersionDeprecated")
        .withArgs(MODEL_ID, 1n);
      expect((await registry.versionOf(MODEL_ID, 1)).deprecated).to.equal(true);
      expect((await registry.versionOf(MODEL_ID, 2)).deprecated).to.equal(false);
    });

    it("reverts when the version is already deprecated", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).deprecateVersion(MODEL_ID, 1);
      await expect(registry.connect(owner).deprecateVersion(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "VersionDeprecated")
        .withArgs(MODEL_ID, 1n);
    });

    it("reverts when the version does not exist (0 or past the count)", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      for (const version of [0n, 2n]) {
        await expect(registry.connect(owner).deprecateVersion(MODEL_ID, version))
          .to.be.revertedWithCustomError(registry, "UnknownVersion")
          .withArgs(MODEL_ID, version);
      }
    });

    it("reverts when the caller is not the model's owner", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).deprecateVersion(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, other.address);
    });

    it("reverts when the model does not exist", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).deprecateVersion(UNKNOWN_ID, 1))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });
  });

  describe("setPolicy", function () {
    it("adds a policy version, emits PolicySet with it, and new requests pin it", async function () {
      const { registry, owner, policy } = await loadFixture(deployModelRegistryFixture);
      const next = exactPolicy({ allowedModes: 1 << Mode.QUORUM, auditRateBps: 9, minFee: 5n, maxInputBytes: 10 });
      await expect(registry.connect(owner).setPolicy(MODEL_ID, next)).to.emit(registry, "PolicySet").withArgs(MODEL_ID, 2n, tuple(next));
      expect(outputTuple(await registry.policyOf(MODEL_ID))).to.deep.equal(tuple(next));
      expect(await registry.policyVersionOf(MODEL_ID)).to.equal(2n);
      expect(await registry.checkRequest(MODEL_ID, 1, Mode.QUORUM, 5n, 10n)).to.deep.equal([owner.address, 9n, 2n, ethers.ZeroAddress, 0n]);
      // A job that pinned version 1 is still judged by it (issue 10: policy changes applied to live jobs).
      expect(outputTuple(await registry.policyAt(MODEL_ID, 1))).to.deep.equal(tuple(policy));
      expect(outputTuple(await registry.policyAt(MODEL_ID, 2))).to.deep.equal(tuple(next));
    });

    it("reverts policyAt for a version that does not exist (0 or past the current one) and an unknown model", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      for (const v of [0n, 2n]) {
        await expect(registry.policyAt(MODEL_ID, v)).to.be.revertedWithCustomError(registry, "UnknownPolicyVersion").withArgs(MODEL_ID, v);
      }
      await expect(registry.policyAt(UNKNOWN_ID, 1)).to.be.revertedWithCustomError(registry, "UnknownModel").withArgs(UNKNOWN_ID);
    });

    it("reverts when the policy is invalid", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).setPolicy(MODEL_ID, defaultPolicy({ auditRateBps: 2_001 })))
        .to.be.revertedWithCustomError(registry, "InvalidPolicy")
        .withArgs("auditRateBps");
      await expect(registry.connect(owner).setPolicy(MODEL_ID, defaultPolicy({ auditRateBps: 499 })))
        .to.be.revertedWithCustomError(registry, "InvalidPolicy")
        .withArgs("auditRateBps");
      await expect(registry.connect(owner).setPolicy(MODEL_ID, defaultPolicy({ allowedModes: 0x0f })))
        .to.be.revertedWithCustomError(registry, "InvalidPolicy")
        .withArgs("exact");
    });

    it("reverts when the caller is not the model's owner", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).setPolicy(MODEL_ID, defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, other.address);
    });

    it("reverts when the model does not exist", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).setPolicy(UNKNOWN_ID, defaultPolicy()))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });
  });

  describe("declareProgram", function () {
    const PROGRAM = { programHash: ethers.id("program"), stepsHash: ethers.id("steps"), steps: 3, inputSpec: ethers.id("input") };
    const programTuple = (p: typeof PROGRAM) => [p.programHash, p.stepsHash, BigInt(p.steps), p.inputSpec];

    it("declares a version refereeable, emits ProgramDeclared, and programOf reads it back", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).declareProgram(MODEL_ID, 1, PROGRAM))
        .to.emit(registry, "ProgramDeclared")
        .withArgs(MODEL_ID, 1n, PROGRAM.programHash, PROGRAM.stepsHash, 3n, PROGRAM.inputSpec);
      expect(await registry.programOf(MODEL_ID, 1)).to.deep.equal(programTuple(PROGRAM));
    });

    it("reads all zeros for a version that declared nothing (it is not refereeable)", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.programOf(MODEL_ID, 1)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash, 0n, ethers.ZeroHash]);
      expect(await registry.programOf(UNKNOWN_ID, 7)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash, 0n, ethers.ZeroHash]);
    });

    it("declares per version: version 2 gets its own program and version 1 keeps its own", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).publishVersion(MODEL_ID, digestOf("model-v2"), "ipfs://v2");
      const second = { programHash: ethers.id("program-2"), stepsHash: ethers.id("steps-2"), steps: 64, inputSpec: ethers.id("input-2") };
      await registry.connect(owner).declareProgram(MODEL_ID, 1, PROGRAM);
      await registry.connect(owner).declareProgram(MODEL_ID, 2, second);
      expect(await registry.programOf(MODEL_ID, 1)).to.deep.equal(programTuple(PROGRAM));
      expect(await registry.programOf(MODEL_ID, 2)).to.deep.equal(programTuple(second));
    });

    it("reverts with ProgramAlreadyDeclared on a second declaration, and the first stays", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).declareProgram(MODEL_ID, 1, PROGRAM);
      await expect(registry.connect(owner).declareProgram(MODEL_ID, 1, { ...PROGRAM, stepsHash: ethers.id("other") }))
        .to.be.revertedWithCustomError(registry, "ProgramAlreadyDeclared")
        .withArgs(MODEL_ID, 1n);
      expect(await registry.programOf(MODEL_ID, 1)).to.deep.equal(programTuple(PROGRAM));
    });

    it("reverts with ModelNotExact when the model's current policy is not exact", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).setPolicy(MODEL_ID, defaultPolicy());
      await expect(registry.connect(owner).declareProgram(MODEL_ID, 1, PROGRAM)).to.be.revertedWithCustomError(registry, "ModelNotExact").withArgs(MODEL_ID);
    });

    it("reverts with InvalidProgram naming a zero hash or input spec, or a step count outside 1 .. MAX_PROGRAM_STEPS", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.MAX_PROGRAM_STEPS()).to.equal(64n);
      const cases: [Partial<typeof PROGRAM>, string][] = [
        [{ programHash: ethers.ZeroHash }, "programHash"],
        [{ stepsHash: ethers.ZeroHash }, "stepsHash"],
        [{ steps: 0 }, "steps"],
        [{ steps: 65 }, "steps"],
        [{ inputSpec: ethers.ZeroHash }, "inputSpec"],
      ];
      for (const [change, field] of cases) {
        await expect(registry.connect(owner).declareProgram(MODEL_ID, 1, { ...PROGRAM, ...change }))
          .to.be.revertedWithCustomError(registry, "InvalidProgram")
          .withArgs(field);
      }
    });

    it("reverts with UnknownVersion for version 0 or one past the last", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      for (const v of [0, 2]) {
        await expect(registry.connect(owner).declareProgram(MODEL_ID, v, PROGRAM))
          .to.be.revertedWithCustomError(registry, "UnknownVersion")
          .withArgs(MODEL_ID, BigInt(v));
      }
    });

    it("reverts with NotModelOwner for anyone but the owner, and UnknownModel for a model that does not exist", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).declareProgram(MODEL_ID, 1, PROGRAM))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, other.address);
      await expect(registry.connect(other).declareProgram(UNKNOWN_ID, 1, PROGRAM))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });

    it("bounds steps by the referee's own game bound (RefereeGame.MAX_STEPS)", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      const source = fs.readFileSync(path.join(__dirname, "..", "..", "contracts", "referee", "RefereeGame.sol"), "utf8");
      const match = /MAX_STEPS = (\d+);/.exec(source);
      expect(match, "RefereeGame.sol declares MAX_STEPS").to.not.equal(null);
      expect(await registry.MAX_PROGRAM_STEPS()).to.equal(BigInt(match![1]));
    });
  });

  describe("transferModelOwnership", function () {
    it("nominates a new owner without moving ownership yet", async function () {
      const { registry, owner, newOwner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address))
        .to.emit(registry, "OwnershipTransferStarted")
        .withArgs(MODEL_ID, owner.address, newOwner.address);
      expect(await registry.ownerOf(MODEL_ID)).to.equal(owner.address);
      await expect(registry.connect(newOwner).publishVersion(MODEL_ID, digestOf("v2"), "ipfs://v2"))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, newOwner.address);
    });

    it("reverts when the caller is not the model's owner", async function () {
      const { registry, other } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(other).transferModelOwnership(MODEL_ID, other.address))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, other.address);
    });

    it("reverts when the model does not exist", async function () {
      const { registry, owner, newOwner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(owner).transferModelOwnership(UNKNOWN_ID, newOwner.address))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });

    it("replaces an earlier nomination", async function () {
      const { registry, owner, other, newOwner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).transferModelOwnership(MODEL_ID, other.address);
      await registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address);
      await expect(registry.connect(other).acceptModelOwnership(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "NotPendingOwner")
        .withArgs(MODEL_ID, other.address);
      await expect(registry.connect(newOwner).acceptModelOwnership(MODEL_ID)).to.emit(registry, "OwnershipTransferred");
    });
  });

  describe("acceptModelOwnership", function () {
    it("moves ownership to the nominee, who alone may then change the model", async function () {
      const { registry, owner, newOwner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address);
      await expect(registry.connect(newOwner).acceptModelOwnership(MODEL_ID))
        .to.emit(registry, "OwnershipTransferred")
        .withArgs(MODEL_ID, owner.address, newOwner.address);
      expect(await registry.ownerOf(MODEL_ID)).to.equal(newOwner.address);
      await expect(registry.connect(owner).deprecateVersion(MODEL_ID, 1))
        .to.be.revertedWithCustomError(registry, "NotModelOwner")
        .withArgs(MODEL_ID, owner.address);
      await expect(registry.connect(newOwner).deprecateVersion(MODEL_ID, 1)).to.emit(registry, "ModelVersionDeprecated");
      await registry.connect(newOwner).publishVersion(MODEL_ID, digestOf("v2"), "ipfs://v2");
      expect(await registry.checkRequest(MODEL_ID, 2, Mode.NONE, 1000n, 0n)).to.deep.equal([newOwner.address, 750n, 1n, ethers.ZeroAddress, 0n]);
    });

    it("reverts when the caller is not the nominee", async function () {
      const { registry, owner, other, newOwner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address);
      await expect(registry.connect(other).acceptModelOwnership(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "NotPendingOwner")
        .withArgs(MODEL_ID, other.address);
      await expect(registry.connect(owner).acceptModelOwnership(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "NotPendingOwner")
        .withArgs(MODEL_ID, owner.address);
    });

    it("reverts when nobody was nominated, and when the nomination was already used", async function () {
      const { registry, owner, newOwner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(newOwner).acceptModelOwnership(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "NotPendingOwner")
        .withArgs(MODEL_ID, newOwner.address);
      await registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address);
      await registry.connect(newOwner).acceptModelOwnership(MODEL_ID);
      await expect(registry.connect(newOwner).acceptModelOwnership(MODEL_ID))
        .to.be.revertedWithCustomError(registry, "NotPendingOwner")
        .withArgs(MODEL_ID, newOwner.address);
    });

    it("reverts when the model does not exist", async function () {
      const { registry, newOwner } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.connect(newOwner).acceptModelOwnership(UNKNOWN_ID))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });
  });

  describe("checkRequest", function () {
    it("returns the owner, audit rate, policy version, resolver and runtime for every allowed mode, at the fee and size bounds", async function () {
      const { registry, owner, policy } = await loadFixture(deployModelRegistryFixture);
      for (const mode of Object.values(Mode)) {
        expect(await registry.checkRequest(MODEL_ID, 1, mode, policy.minFee, policy.maxInputBytes)).to.deep.equal([owner.address, 750n, 1n, ethers.ZeroAddress, 0n]);
      }
    });

    it("reverts when the model does not exist", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.checkRequest(UNKNOWN_ID, 1, Mode.NONE, 1000n, 0n))
        .to.be.revertedWithCustomError(registry, "UnknownModel")
        .withArgs(UNKNOWN_ID);
    });

    it("reverts when the version does not exist (0 or past the count)", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      for (const version of [0n, 2n]) {
        await expect(registry.checkRequest(MODEL_ID, version, Mode.NONE, 1000n, 0n))
          .to.be.revertedWithCustomError(registry, "UnknownVersion")
          .withArgs(MODEL_ID, version);
      }
    });

    it("reverts when the version is deprecated", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).deprecateVersion(MODEL_ID, 1);
      await expect(registry.checkRequest(MODEL_ID, 1, Mode.NONE, 1000n, 0n))
        .to.be.revertedWithCustomError(registry, "VersionDeprecated")
        .withArgs(MODEL_ID, 1n);
    });

    it("reverts when the mode is not in the policy", async function () {
      const { registry, owner } = await loadFixture(deployModelRegistryFixture);
      await registry.connect(owner).setPolicy(MODEL_ID, exactPolicy({ allowedModes: (1 << Mode.OPTIMISTIC) | (1 << Mode.QUORUM) }));
      for (const mode of [Mode.NONE, Mode.ATTESTED]) {
        await expect(registry.checkRequest(MODEL_ID, 1, mode, 10n ** 16n, 0n))
          .to.be.revertedWithCustomError(registry, "ModeNotAllowed")
          .withArgs(MODEL_ID, mode);
      }
      expect((await registry.checkRequest(MODEL_ID, 1, Mode.QUORUM, 10n ** 16n, 0n))[0]).to.equal(owner.address);
    });

    it("reverts when the fee is below the model's minimum", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.checkRequest(MODEL_ID, 1, Mode.NONE, 999n, 0n))
        .to.be.revertedWithCustomError(registry, "FeeBelowModelMinimum")
        .withArgs(999n, 1000n);
    });

    it("reverts when the input is larger than the model accepts", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.checkRequest(MODEL_ID, 1, Mode.NONE, 1000n, 4097n))
        .to.be.revertedWithCustomError(registry, "InputTooLarge")
        .withArgs(4097n, 4096n);
    });
  });

  describe("settlementTermsOf", function () {
    it("returns the owner and audit rate, following policy and ownership changes", async function () {
      const { registry, owner, newOwner } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.settlementTermsOf(MODEL_ID)).to.deep.equal([owner.address, 750n]);
      await registry.connect(owner).setPolicy(MODEL_ID, defaultPolicy({ auditRateBps: 1234 }));
      await registry.connect(owner).transferModelOwnership(MODEL_ID, newOwner.address);
      await registry.connect(newOwner).acceptModelOwnership(MODEL_ID);
      expect(await registry.settlementTermsOf(MODEL_ID)).to.deep.equal([newOwner.address, 1234n]);
    });

    it("returns zeros when the model does not exist", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.settlementTermsOf(UNKNOWN_ID)).to.deep.equal([ethers.ZeroAddress, 0n]);
    });
  });

  describe("views", function () {
    it("ownerOf, versionCount and modelOfDigest give zeros for unknown models and digests", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.ownerOf(UNKNOWN_ID)).to.equal(ethers.ZeroAddress);
      expect(await registry.versionCount(UNKNOWN_ID)).to.equal(0n);
      expect(await registry.modelOfDigest(digestOf("unknown"))).to.deep.equal([0n, 0n]);
    });

    it("policyOf reverts when the model does not exist", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.policyOf(UNKNOWN_ID)).to.be.revertedWithCustomError(registry, "UnknownModel").withArgs(UNKNOWN_ID);
    });

    it("digestOf gives a version's digest, and zero for an unknown version or model", async function () {
      const { registry, owner, digest } = await loadFixture(deployModelRegistryFixture);
      const v2 = digestOf("model-v2");
      await registry.connect(owner).publishVersion(MODEL_ID, v2, "ipfs://v2");
      expect(await registry.digestOf(MODEL_ID, 1)).to.equal(digest);
      expect(await registry.digestOf(MODEL_ID, 2)).to.equal(v2);
      expect(await registry.digestOf(MODEL_ID, 3)).to.equal(ethers.ZeroHash);
      expect(await registry.digestOf(UNKNOWN_ID, 1)).to.equal(ethers.ZeroHash);
    });

    it("versionOf reverts when the version does not exist", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      await expect(registry.versionOf(MODEL_ID, 2)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(MODEL_ID, 2n);
      await expect(registry.versionOf(UNKNOWN_ID, 1)).to.be.revertedWithCustomError(registry, "UnknownVersion").withArgs(UNKNOWN_ID, 1n);
    });

    it("exposes its bounds as constants", async function () {
      const { registry } = await loadFixture(deployModelRegistryFixture);
      expect(await registry.TOLERANCE_SCALE()).to.equal(10n ** 12n);
      expect(await registry.MAX_TOLERANCE()).to.equal(MAX_TOLERANCE);
      expect(await registry.MAX_INPUT_BYTES()).to.equal(MAX_INPUT_BYTES);
      expect(await registry.MAX_URI_LENGTH()).to.equal(512n);
      expect(await registry.MAX_VERSIONS()).to.equal(65_535n);
      expect(await registry.MAX_MODELS()).to.equal(2n ** 24n - 1n);
      expect(await registry.ALL_MODES()).to.equal(0x0fn);
      expect(await registry.MIN_AUDIT_RATE_BPS()).to.equal(500n);
      expect(await registry.MAX_AUDIT_RATE_BPS()).to.equal(2_000n);
    });
  });
});
