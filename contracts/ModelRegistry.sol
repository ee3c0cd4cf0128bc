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

    struct Model {
        address owner; // 20 bytes
        uint16 versionCount; // 2 bytes, same slot
    }

    uint256 private _modelCount;
    mapping(uint256 modelId => Model) private _models;
    mapping(uint256 modelId => ModelPolicy) private _policies;
    mapping(uint256 modelId => mapping(uint16 version => ModelVersion)) private _versions;
    mapping(uint256 modelId => address) private _pendingOwners;
    mapping(bytes32 digest => uint256 packed) private _digestIndex; // modelId << 16 | version

    modifier onlyModelOwner(uint256 modelId) {
        address owner = _models[modelId].owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (owner != msg.sender) revert NotModelOwner(modelId, msg.sender);
        _;
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
        _models[modelId] = Model({owner: msg.sender, versionCount: 0});
        _policies[modelId] = policy;
        emit ModelRegistered(modelId, msg.sender, digest, uri);
        emit PolicySet(modelId, policy);
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
        _policies[modelId] = policy;
        emit PolicySet(modelId, policy);
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
    ) external view returns (address owner, uint16 auditRateBps) {
        Model storage model = _models[modelId];
        owner = model.owner;
        if (owner == address(0)) revert UnknownModel(modelId);
        if (version == 0 || version > model.versionCount) revert UnknownVersion(modelId, version);
        if (_versions[modelId][version].deprecated) revert VersionDeprecated(modelId, version);
        ModelPolicy storage policy = _policies[modelId];
        if (policy.allowedModes & (uint8(1) << uint8(mode)) == 0) revert ModeNotAllowed(modelId, mode);
        if (fee < policy.minFee) revert FeeBelowModelMinimum(fee, policy.minFee);
        if (inputSize > policy.maxInputBytes) revert InputTooLarge(inputSize, policy.maxInputBytes);
        auditRateBps = policy.auditRateBps;
    }

    /// @inheritdoc IModelRegistry
    function settlementTermsOf(uint256 modelId) external view returns (address owner, uint16 auditRateBps) {
        return (_models[modelId].owner, _policies[modelId].auditRateBps);
    }

    /// @inheritdoc IModelRegistry
    function ownerOf(uint256 modelId) external view returns (address) {
        return _models[modelId].owner;
    }

    /// @inheritdoc IModelRegistry
    function policyOf(uint256 modelId) external view returns (ModelPolicy memory) {
        if (_models[modelId].owner == address(0)) revert UnknownModel(modelId);
        return _policies[modelId];
    }

    /// @inheritdoc IModelRegistry
    function versionOf(uint256 modelId, uint16 version) external view returns (ModelVersion memory) {
        if (version == 0 || version > _models[modelId].versionCount) revert UnknownVersion(modelId, version);
        return _versions[modelId][version];
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

    function _checkPolicy(ModelPolicy calldata policy) private pure {
        if (policy.allowedModes == 0 || policy.allowedModes & ~ALL_MODES != 0) revert InvalidPolicy("allowedModes");
        if (policy.auditRateBps > 10_000) revert InvalidPolicy("auditRateBps");
        if (policy.maxInputBytes == 0 || policy.maxInputBytes > MAX_INPUT_BYTES) revert InvalidPolicy("maxInputBytes");
        if (policy.absTolerance > MAX_TOLERANCE) revert InvalidPolicy("absTolerance");
        if (policy.relTolerance > MAX_TOLERANCE) revert InvalidPolicy("relTolerance");
        if (policy.exact && (policy.absTolerance != 0 || policy.relTolerance != 0)) revert InvalidPolicy("exact");
    }
}
