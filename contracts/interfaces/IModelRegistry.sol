// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Mode} from "../types/Types.sol";

/// @title IModelRegistry
/// @notice Models are identified by the SHA-256 of their ONNX bytes (the digest an IPFS CIDv1 raw
///         leaf carries) and a URI to fetch them from. Each model has an owner, numbered versions
///         and one verification policy that every job on it must respect.
interface IModelRegistry {
    /// @notice What a model accepts and how its results are checked.
    /// @dev Packed: the first six fields share one slot, read by every request.
    struct ModelPolicy {
        uint8 allowedModes; // bit (1 << uint8(Mode)) set for each allowed verification mode
        bool exact; // outputs must match bit for bit (integer or quantised models)
        uint16 auditRateBps; // share of OPTIMISTIC jobs audited without a challenge, basis points
        uint32 maxInputBytes; // largest input accepted, inline or by reference
        uint96 minFee; // the model owner's fee floor, in protocol tokens
        uint32 runtime; // seconds the model may take on its largest input; a job's execution phase is at least this (<= MAX_RUNTIME)
        uint64 absTolerance; // per-element absolute tolerance, scaled by TOLERANCE_SCALE
        uint64 relTolerance; // per-element relative tolerance, scaled by TOLERANCE_SCALE
        bytes32 schemaHash; // keccak256 of the model's input/output schema document
    }

    /// @notice One published version of a model.
    struct ModelVersion {
        bool deprecated;
        bytes32 digest; // SHA-256 of the ONNX bytes
        string uri; // file://, http(s):// or ipfs://
    }

    /// @notice A refereeable version's program (docs/REFEREE.md): what the on-chain referee checks a
    ///         defender's trace against. Declared once per version by the model's owner; nodes opt
    ///         in only after recompiling the version's ONNX and reproducing both hashes.
    struct RefereeProgram {
        bytes32 programHash; // keccak256 of the canonical program: operators, static shapes, scales as bits, zero points, tables, compiler version
        bytes32 stepsHash; // hash of the lowered steps' descriptors; each descriptor holds its weights' Merkle roots
        uint16 steps; // the program's step count, 1 .. MAX_PROGRAM_STEPS (the referee's game bound)
        // keccak256(abi.encode(bytes name, uint8 dtype, uint32[] shape)) of the program's one input
        // (tensor codec dtype codes): what decides an invalid-input claim on the version
        bytes32 inputSpec;
    }

    /// @notice Thrown when a model has no such policy version.
    error UnknownPolicyVersion(uint256 modelId, uint16 policyVersion);
    /// @notice Thrown when a digest is zero.
    error ZeroDigest();
    /// @notice Thrown when a URI is empty or longer than `MAX_URI_LENGTH`.
    error InvalidURI(uint256 length);
    /// @notice Thrown when a digest is already registered, as `modelId` version `version`.
    error DigestAlreadyRegistered(bytes32 digest, uint256 modelId, uint16 version);
    /// @notice Thrown when no model has id `modelId`.
    error UnknownModel(uint256 modelId);
    /// @notice Thrown when model `modelId` has no version `version`.
    error UnknownVersion(uint256 modelId, uint16 version);
    /// @notice Thrown when a version is deprecated and so takes no new jobs.
    error VersionDeprecated(uint256 modelId, uint16 version);
    /// @notice Thrown when someone other than the model's owner tries to change it.
    error NotModelOwner(uint256 modelId, address caller);
    /// @notice Thrown when someone other than the nominated owner accepts a model's ownership.
    error NotPendingOwner(uint256 modelId, address caller);
    /// @notice Thrown when a policy field is outside its bound; `field` names it.
    error InvalidPolicy(string field);
    /// @notice Thrown when a request's verification mode is not in the model's policy.
    error ModeNotAllowed(uint256 modelId, Mode mode);
    /// @notice Thrown when a request's fee is below the model's floor.
    error FeeBelowModelMinimum(uint96 fee, uint96 minimum);
    /// @notice Thrown when a request's input is larger than the model accepts.
    error InputTooLarge(uint256 size, uint256 maximum);
    /// @notice Thrown when `MAX_MODELS` models exist already.
    error TooManyModels(uint256 maximum);
    /// @notice Thrown when a model already has `MAX_VERSIONS` versions.
    error TooManyVersions(uint256 modelId);

    /// @notice Thrown when a version's program is declared a second time (a declaration never changes).
    error ProgramAlreadyDeclared(uint256 modelId, uint16 version);
    /// @notice Thrown when a declared program's field is outside its bound; `field` names it.
    error InvalidProgram(string field);
    /// @notice Thrown when a program is declared for a model whose current policy is not exact.
    error ModelNotExact(uint256 modelId);

    /// @notice Emitted when a model is registered with its first version.
    event ModelRegistered(uint256 indexed modelId, address indexed owner, bytes32 indexed digest, string uri);
    /// @notice Emitted when a new version of a model is published.
    event VersionPublished(uint256 indexed modelId, uint16 indexed version, bytes32 indexed digest, string uri);
    /// @notice Emitted when a version stops taking new jobs.
    event ModelVersionDeprecated(uint256 indexed modelId, uint16 indexed version);
    /// @notice Emitted when a model's policy is set (version 1 at registration; each change adds a
    ///         version, and jobs keep the version current at their request).
    event PolicySet(uint256 indexed modelId, uint16 indexed policyVersion, ModelPolicy policy);
    /// @notice Emitted when an owner sets the dispute resolver (a new policy version).
    event ResolverSet(uint256 indexed modelId, uint16 indexed policyVersion, address resolver);
    /// @notice Emitted when an owner nominates a new owner.
    event OwnershipTransferStarted(uint256 indexed modelId, address indexed from, address indexed to);
    /// @notice Emitted when the nominated owner accepts.
    event OwnershipTransferred(uint256 indexed modelId, address indexed from, address indexed to);

    /// @notice Emitted when a version is declared refereeable, with its program's hashes.
    event ProgramDeclared(
        uint256 indexed modelId,
        uint16 indexed version,
        bytes32 programHash,
        bytes32 stepsHash,
        uint16 steps,
        bytes32 inputSpec
    );

    /// @notice Registers a model with its first version (version 1) and its policy.
    /// @param digest SHA-256 of the ONNX bytes.
    /// @param uri Where the bytes can be fetched.
    /// @param policy The verification policy; see `ModelPolicy` for each field's bound.
    /// @return modelId The new model's id, counted from 1.
    function registerModel(
        bytes32 digest,
        string calldata uri,
        ModelPolicy calldata policy
    ) external returns (uint256 modelId);

    /// @notice Publishes a new version of a model the caller owns.
    /// @return version The new version's number.
    function publishVersion(uint256 modelId, bytes32 digest, string calldata uri) external returns (uint16 version);

    /// @notice Marks a version as deprecated: it takes no new jobs; running jobs are unaffected.
    function deprecateVersion(uint256 modelId, uint16 version) external;

    /// @notice Sets a model's policy as a new policy version. Jobs already requested keep the version
    ///         they pinned (verifiers judge them by it); only the audit rate that settles an
    ///         OPTIMISTIC job is read at settlement (always within the registry's 5%-20% band).
    function setPolicy(uint256 modelId, ModelPolicy calldata policy) external;

    /// @notice Nominates `newOwner`; ownership moves only when they accept.
    function transferModelOwnership(uint256 modelId, address newOwner) external;

    /// @notice Accepts a nomination made by `transferModelOwnership`.
    function acceptModelOwnership(uint256 modelId) external;

    /// @notice Declares version `version` of a model the caller owns refereeable: its compiled
    ///         program's hash and its steps hash (which holds every weight's Merkle root). Once per
    ///         version: a wrong declaration is fixed by publishing a new version. The model's current
    ///         policy must be exact (the referee recomputes integers bit for bit). Jobs requested
    ///         before the declaration are not refereed (the hub pins it at request).
    /// @param modelId The model.
    /// @param version The version, 1 .. versionCount.
    /// @param program The program's hashes and step count; see `RefereeProgram` for the bounds.
    function declareProgram(uint256 modelId, uint16 version, RefereeProgram calldata program) external;

    /// @notice The declared program of a version; all zero when the version is not refereeable.
    /// @param modelId The model.
    /// @param version The version.
    /// @return program Its program hash, steps hash and step count.
    function programOf(uint256 modelId, uint16 version) external view returns (RefereeProgram memory program);

    /// @notice Checks a request against the model and returns what the hub needs to settle it.
    /// @dev Reverts with the named error of the first rule broken.
    /// @return owner The model's owner, paid the model share of the fee.
    /// @return auditRateBps The model's audit rate.
    /// @return policyVersion The policy version the job pins (see `policyAt`).
    /// @return resolver The dispute resolver of that policy version (zero: the default committee).
    /// @return runtime The policy's declared runtime in seconds (the hub's execution phase is at least this).
    function checkRequest(
        uint256 modelId,
        uint16 version,
        Mode mode,
        uint96 fee,
        uint256 inputSize
    )
        external
        view
        returns (address owner, uint16 auditRateBps, uint16 policyVersion, address resolver, uint32 runtime);

    /// @notice What settling a job pinned to `policyVersion` needs: the model's owner, that
    ///         version's audit rate and its dispute resolver (zero: the default committee).
    function termsAt(
        uint256 modelId,
        uint16 policyVersion
    ) external view returns (address owner, uint16 auditRateBps, address resolver);

    /// @notice Sets the dispute resolver of the model's future jobs, as a new policy version with
    ///         the same policy (jobs already requested keep theirs). Model owner only. Zero is the
    ///         protocol's default committee; any other resolver must be allowed by governance in
    ///         the JobRegistry when a job is requested.
    function setResolver(uint256 modelId, address resolver) external;

    /// @notice What settling a job needs in one read: the model's owner and audit rate (zeros when
    ///         the model does not exist).
    function settlementTermsOf(uint256 modelId) external view returns (address owner, uint16 auditRateBps);

    /// @notice The owner of model `modelId` (zero when it does not exist).
    function ownerOf(uint256 modelId) external view returns (address);

    /// @notice The current policy of model `modelId` (the one new requests pin).
    function policyOf(uint256 modelId) external view returns (ModelPolicy memory);

    /// @notice Policy version `policyVersion` of model `modelId`: what a job that pinned it is judged by.
    function policyAt(uint256 modelId, uint16 policyVersion) external view returns (ModelPolicy memory);

    /// @notice The current policy version of model `modelId` (1 at registration; zero for an unknown model).
    function policyVersionOf(uint256 modelId) external view returns (uint16);

    /// @notice One version of a model.
    function versionOf(uint256 modelId, uint16 version) external view returns (ModelVersion memory);

    /// @notice The SHA-256 digest of a model version's ONNX bytes (zero for an unknown version).
    function digestOf(uint256 modelId, uint16 version) external view returns (bytes32);

    /// @notice How many versions model `modelId` has.
    function versionCount(uint256 modelId) external view returns (uint16);

    /// @notice The model and version a digest was registered as (zeros when unknown).
    function modelOfDigest(bytes32 digest) external view returns (uint256 modelId, uint16 version);

    /// @notice The least audit rate of a model that allows OPTIMISTIC, in basis points (fixed at deployment).
    // solhint-disable-next-line func-name-mixedcase
    function MIN_AUDIT_RATE_BPS() external view returns (uint16);

    /// @notice How many models exist; ids run from 1 to this number.
    function modelCount() external view returns (uint256);
}
