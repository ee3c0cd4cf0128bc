// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {Mode} from "./types/Types.sol";

/// @title ModelRegistry
/// @notice Registry of ONNX models by SHA-256 digest, with versions and verification policies.
/// @dev Holds no tokens and has no admin: a model belongs to its owner alone.
contract ModelRegistry is IModelRegistry {
    /// @notice Fixed-point scale of the tolerances: 1.0 is 1e12.
    uint64 public constant TOLERANCE_SCALE = 1e12;
    /// @notice Largest tolerance a policy may set (1e6 in real terms): beyond it a check means nothing.
    uint64 public constant MAX_TOLERANCE = 1e18;
    /// @notice Largest input any model may accept: 1 GiB, for inputs fetched by reference.
    uint32 public constant MAX_INPUT_BYTES = 1 << 30;
    /// @notice Longest URI accepted, so that no string makes a read unboundedly expensive.
    uint256 public constant MAX_URI_LENGTH = 512;
    /// @notice Most models the registry holds: jobs store a model id in 24 bits.
    uint256 public constant MAX_MODELS = type(uint24).max;
    /// @notice Most versions a model may have.
    uint16 public constant MAX_VERSIONS = type(uint16).max;
    /// @notice The modes defined today (NONE, OPTIMISTIC, QUORUM, ATTESTED) as a bitmask.
    uint8 public constant ALL_MODES = 0x0f;
    /// @notice Least audit rate of a model that allows OPTIMISTIC, fixed at deployment (5% in every
    ///         shipped parameter file; the executors' collateral multiple is computed from it, see
    ///         docs/ARCHITECTURE.md). At most MAX_AUDIT_RATE_BPS.
    uint16 public immutable MIN_AUDIT_RATE_BPS;
    /// @notice Largest audit rate of any model: 20%.
    uint16 public constant MAX_AUDIT_RATE_BPS = 2_000;
    /// @notice Longest runtime a policy may declare (a job whose phase it would push past half the
    ///         unbonding period, with its challenge or reveal window, is refused by the hub).
    uint32 public constant MAX_RUNTIME = 7 days;
    /// @notice The most steps a declared program may have: the referee's game bound (RefereeGame.MAX_STEPS).
    uint16 public constant MAX_PROGRAM_STEPS = 64;

    struct Model {
        address owner; // 20 bytes
        uint16 versionCount; // 2 bytes, same slot
        uint16 policyVersion; // 2 bytes, same slot: the current policy (every change adds one)
    }

    uint256 private _modelCount;
    mapping(uint256 modelId => Model) private _models;
    // Every policy a model ever had: a job pins the version current at its request, so a change
    // never applies to live jobs (verifiers judge a job by its pinned policy).
    mapping(uint256 modelId => mapping(uint16 policyVersion => ModelPolicy)) private _policies;
    // The dispute resolver of each policy version (zero: the protocol's default committee).
    mapping(uint256 modelId => mapping(uint16 policyVersion => address)) private _resolvers;
    mapping(uint256 modelId => mapping(uint16 version => ModelVersion)) private _versions;
    mapping(uint256 modelId => mapping(uint16 version => RefereeProgram)) private _programs;
    mapping(uint256 modelId => address) private _pendingOwners;
    mapping(bytes32 digest => uint256 packed) private _digestIndex; // modelId << 16 | version

    modifier onlyModelOwner(uint256 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        _;
    }

    /// @param minAuditRateBps The least audit rate of a model that allows OPTIMISTIC (<= MAX_AUDIT_RATE_BPS).
    constructor(uint16 minAuditRateBps) {
        if (minAuditRateBps > MAX_AUDIT_RATE_BPS) revert InvalidPolicy("minAuditRateBps");
        MIN_AUDIT_RATE_BPS = minAuditRateBps;
    }

    /// @inheritdoc IModelRegistry
    function registerModel(
        bytes32 digest,
        string calldata uri,
        ModelPolicy calldata policy
    ) external returns (uint256 modelId) {
        _checkPolicy(policy);
        if (_modelCount == MAX_MODELS) revert TooManyModels(MAX_MODELS);
        modelId = ++_modelCount;
        _models[modelId] = Model({owner: msg.sender, versionCount: 0, policyVersion: 1});
        _policies[modelId][1] = policy;
        emit ModelRegistered(modelId, msg.sender, digest, uri);
        emit PolicySet(modelId, 1, policy);
        _addVersion(modelId, digest, uri);
    }

    /// @inheritdoc IModelRegistry
    function publishVersion(
        uint256 modelId,
        bytes32 digest,
        string calldata uri
    ) external onlyModelOwner(modelId) returns (uint16 version) {
        return _addVersion(modelId, digest, uri);
    }

    /// @inheritdoc IModelRegistry
    function deprecateVersion(uint256 modelId, uint16 version) external onlyModelOwner(modelId) {
        if (version == 0 || version > _models[modelId].versionCount) revert UnknownVersion(modelId, version);
        // INVARIANT: a deprecated version stays deprecated; deprecating twice is a clear error.
        if (_versions[modelId][version].deprecated) revert VersionDeprecated(modelId, version);
        _versions[modelId][version].deprecated = true;
        emit ModelVersionDeprecated(modelId, version);
    }

    /// @inheritdoc IModelRegistry
    function setPolicy(uint256 modelId, ModelPolicy calldata policy) external onlyModelOwner(modelId) {
        _checkPolicy(policy);
        uint16 policyVersion = _nextPolicyVersion(modelId);
        _policies[modelId][policyVersion] = policy;
        // A policy change keeps the model's resolver (setResolver changes it).
        _resolvers[modelId][policyVersion] = _resolvers[modelId][policyVersion - 1];
        emit PolicySet(modelId, policyVersion, policy);
    }

    /// @inheritdoc IModelRegistry
    function setResolver(uint256 modelId, address resolver) external onlyModelOwner(modelId) {
        // registerModel gave the model its first policy, so there is always one to copy.
        uint16 policyVersion = _nextPolicyVersion(modelId);
        _policies[modelId][policyVersion] = _policies[modelId][policyVersion - 1];
        _resolvers[modelId][policyVersion] = resolver;
        emit ResolverSet(modelId, policyVersion, resolver);
    }

    /// @inheritdoc IModelRegistry
    function declareProgram(
        uint256 modelId,
        uint16 version,
        RefereeProgram calldata program
    ) external onlyModelOwner(modelId) {
        if (version == 0 || version > _models[modelId].versionCount) revert UnknownVersion(modelId, version);
        // INVARIANT: a version's program never changes once declared: verifiers and the referee
        // judge every job of the version against the one the nodes reproduced when they opted in.
        if (_programs[modelId][version].programHash != bytes32(0)) revert ProgramAlreadyDeclared(modelId, version);
        // INVARIANT: only exact models are refereed: the one-step recomputes integers bit for bit.
        if (!_policies[modelId][_models[modelId].policyVersion].exact) revert ModelNotExact(modelId);
        if (program.programHash == bytes32(0)) revert InvalidProgram("programHash");
        if (program.stepsHash == bytes32(0)) revert InvalidProgram("stepsHash");
        if (program.steps == 0 || program.steps > MAX_PROGRAM_STEPS) revert InvalidProgram("steps");
        if (program.inputSpec == bytes32(0)) revert InvalidProgram("inputSpec");
        _programs[modelId][version] = program;
        emit ProgramDeclared(
            modelId,
            version,
            program.programHash,
            program.stepsHash,
            program.steps,
            program.inputSpec
        );
    }

    /// @inheritdoc IModelRegistry
    function transferModelOwnership(uint256 modelId, address newOwner) external onlyModelOwner(modelId) {
        _pendingOwners[modelId] = newOwner;
        emit OwnershipTransferStarted(modelId, msg.sender, newOwner);
    }

    /// @inheritdoc IModelRegistry
    function acceptModelOwnership(uint256 modelId) external {
        if (_models[modelId].owner == address(0)) revert UnknownModel(modelId);
        if (_pendingOwners[modelId] != msg.sender) revert NotPendingOwner(modelId, msg.sender);
        address previous = _models[modelId].owner;
        _models[modelId].owner = msg.sender;
        delete _pendingOwners[modelId];
        emit OwnershipTransferred(modelId, previous, msg.sender);
    }

    /// @inheritdoc IModelRegistry
    function checkRequest(
        uint256 modelId,
        uint16 version,
        Mode mode,
        uint96 fee,
        uint256 inputSize
    )
        external
        view
        returns (address owner, uint16 auditRateBps, uint16 policyVersion, address resolver, uint32 runtime)
    {
        Model storage model = _models[modelId];
        owner = model.owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (version == 0 || version > model.versionCount) revert UnknownVersion(modelId, version);
        if (_versions[modelId][version].deprecated) revert VersionDeprecated(modelId, version);
        policyVersion = model.policyVersion;
        ModelPolicy storage policy = _policies[modelId][policyVersion];
        if (policy.allowedModes & (uint8(1) << uint8(mode)) == 0) revert ModeNotAllowed(modelId, mode);
        if (fee < policy.minFee) revert FeeBelowModelMinimum(fee, policy.minFee);
        if (inputSize > policy.maxInputBytes) revert InputTooLarge(inputSize, policy.maxInputBytes);
        auditRateBps = policy.auditRateBps;
        runtime = policy.runtime;
        resolver = _resolvers[modelId][policyVersion];
    }

    /// @inheritdoc IModelRegistry
    function termsAt(
        uint256 modelId,
        uint16 policyVersion
    ) external view returns (address owner, uint16 auditRateBps, address resolver) {
        return (
            _models[modelId].owner,
            _policies[modelId][policyVersion].auditRateBps,
            _resolvers[modelId][policyVersion]
        );
    }

    /// @inheritdoc IModelRegistry
    function settlementTermsOf(uint256 modelId) external view returns (address owner, uint16 auditRateBps) {
        Model storage model = _models[modelId];
        return (model.owner, _policies[modelId][model.policyVersion].auditRateBps);
    }

    /// @inheritdoc IModelRegistry
    function ownerOf(uint256 modelId) external view returns (address) {
        return _models[modelId].owner;
    }

    /// @inheritdoc IModelRegistry
    function policyOf(uint256 modelId) external view returns (ModelPolicy memory) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
        return _policies[modelId][model.policyVersion];
    }

    /// @inheritdoc IModelRegistry
    function policyAt(uint256 modelId, uint16 policyVersion) external view returns (ModelPolicy memory) {
        Model storage model = _models[modelId];
        if (model.owner == address(0)) revert UnknownModel(modelId);
        if (policyVersion == 0 || policyVersion > model.policyVersion)
            revert UnknownPolicyVersion(modelId, policyVersion);
        return _policies[modelId][policyVersion];
    }

    /// @inheritdoc IModelRegistry
    function policyVersionOf(uint256 modelId) external view returns (uint16) {
        return _models[modelId].policyVersion;
    }

    /// @inheritdoc IModelRegistry
    function versionOf(uint256 modelId, uint16 version) external view returns (ModelVersion memory) {
        if (version == 0 || version > _models[modelId].versionCount) revert UnknownVersion(modelId, version);
        return _versions[modelId][version];
    }

    /// @inheritdoc IModelRegistry
    function programOf(uint256 modelId, uint16 version) external view returns (RefereeProgram memory program) {
        return _programs[modelId][version];
    }

    /// @inheritdoc IModelRegistry
    function digestOf(uint256 modelId, uint16 version) external view returns (bytes32) {
        return _versions[modelId][version].digest;
    }

    /// @inheritdoc IModelRegistry
    function versionCount(uint256 modelId) external view returns (uint16) {
        return _models[modelId].versionCount;
    }

    /// @inheritdoc IModelRegistry
    function modelOfDigest(bytes32 digest) external view returns (uint256 modelId, uint16 version) {
        uint256 packed = _digestIndex[digest];
        return (packed >> 16, uint16(packed));
    }

    /// @inheritdoc IModelRegistry
    function modelCount() external view returns (uint256) {
        return _modelCount;
    }

    function _addVersion(uint256 modelId, bytes32 digest, string calldata uri) private returns (uint16 version) {
        if (digest == bytes32(0)) revert ZeroDigest();
        uint256 uriLength = bytes(uri).length;
        if (uriLength == 0 || uriLength > MAX_URI_LENGTH) revert InvalidURI(uriLength);
        uint256 existing = _digestIndex[digest];
        // INVARIANT: one digest names one (model, version), so a digest resolves unambiguously.
        if (existing != 0) revert DigestAlreadyRegistered(digest, existing >> 16, uint16(existing));
        uint16 count = _models[modelId].versionCount;
        if (count == MAX_VERSIONS) revert TooManyVersions(modelId);
        version = count + 1;
        _models[modelId].versionCount = version;
        _versions[modelId][version] = ModelVersion({deprecated: false, digest: digest, uri: uri});
        _digestIndex[digest] = (modelId << 16) | version;
        emit VersionPublished(modelId, version, digest, uri);
    }

    /// @dev Adds a policy version (the previous ones stay, pinned by the jobs that use them).
    function _nextPolicyVersion(uint256 modelId) private returns (uint16 policyVersion) {
        Model storage model = _models[modelId];
        // INVARIANT: a policy version, once pinned by a job, never changes: a change is a new version.
        if (model.policyVersion == type(uint16).max) revert TooManyVersions(modelId);
        policyVersion = model.policyVersion + 1;
        model.policyVersion = policyVersion;
    }

    function _checkPolicy(ModelPolicy calldata policy) private view {
        if (policy.allowedModes == 0 || policy.allowedModes & ~ALL_MODES != 0) revert InvalidPolicy("allowedModes");
        // INVARIANT: audits are capped (no model owner can wash-audit its own jobs at 100%), and a
        // model that allows OPTIMISTIC is audited at least at the rate the collateral multiple
        // assumes, so a wrong answer loses money in expectation (docs/ARCHITECTURE.md).
        if (policy.auditRateBps > MAX_AUDIT_RATE_BPS) revert InvalidPolicy("auditRateBps");
        bool optimistic = policy.allowedModes & (uint8(1) << uint8(Mode.OPTIMISTIC)) != 0;
        if (optimistic && policy.auditRateBps < MIN_AUDIT_RATE_BPS) revert InvalidPolicy("auditRateBps");
        // INVARIANT: QUORUM compares revealed outputs bit for bit, so only exact models may use it.
        bool quorum = policy.allowedModes & (uint8(1) << uint8(Mode.QUORUM)) != 0;
        if (quorum && !policy.exact) revert InvalidPolicy("exact");
        if (policy.maxInputBytes == 0 || policy.maxInputBytes > MAX_INPUT_BYTES) revert InvalidPolicy("maxInputBytes");
        if (policy.runtime > MAX_RUNTIME) revert InvalidPolicy("runtime");
        if (policy.absTolerance > MAX_TOLERANCE) revert InvalidPolicy("absTolerance");
        if (policy.relTolerance > MAX_TOLERANCE) revert InvalidPolicy("relTolerance");
        if (policy.exact && (policy.absTolerance != 0 || policy.relTolerance != 0)) revert InvalidPolicy("exact");
    }
}
