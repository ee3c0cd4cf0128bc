// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Verdict} from "../types/Types.sol";

/// @title IDisputeResolver
/// @notice What the JobRegistry needs of whoever judges a challenged or audited OPTIMISTIC result.
///         The hub calls a resolver; a resolver never calls the hub: it holds its round and returns
///         a verdict, and the hub alone changes the job, its collateral and its fee. Resolvers are
///         allow-listed by governance in the ModelRegistry, chosen per model by the model's owner
///         and pinned per job at request, so a second resolver (an on-chain referee that
///         recomputes one operator, say) can replace the committee for a model without touching
///         the hub or the jobs already running.
interface IDisputeResolver {
    /// @notice Opens a dispute of `jobId`'s result by `executor`. Hub only. `challenger` is zero for
    ///         an audit the coin picked; otherwise it must be eligible to challenge (the resolver
    ///         reverts with its own error if not). For the default committee (the DisputeManager)
    ///         the hub collects `bond` from the challenger into the vault right after this call; a
    ///         third-party resolver's `bond` is ignored by the hub (such a resolver takes its own bond,
    ///         if any: the vault credits only the committee's back).
    /// @param jobId The job.
    /// @param modelId The job's model (whose audit pot pays the judges).
    /// @param executor The executor whose result is disputed.
    /// @param challenger The challenger, or zero for an audit.
    /// @param jobDigest `keccak256(abi.encode(uint16 version, bytes32 inputHash, bytes32 outputHash))`:
    ///        the job's model version, the keccak256 of its input (kept only for jobs judged by a
    ///        third-party resolver or ATTESTED, zero otherwise) and of its posted output, so that a
    ///        resolver can check bytes anyone brings against the job without calling the hub back.
    /// @return disputeId The resolver's id for the dispute.
    /// @return bond What the challenger must put up (zero for an audit).
    function open(
        uint256 jobId,
        uint256 modelId,
        address executor,
        address challenger,
        bytes32 jobDigest
    ) external returns (uint256 disputeId, uint96 bond);

    /// @notice Ends the open dispute of `jobId` once it can be decided and settles the judges'
    ///         side (their rewards and penalties, the bond). Hub only.
    /// @param jobId The job.
    /// @return verdict Valid, Invalid or Undecided.
    /// @return challenger The challenger (zero for an audit).
    /// @return bounty The most the challenger may get of the executor's collateral on Invalid.
    function resolve(uint256 jobId) external returns (Verdict verdict, address challenger, uint96 bounty);

    /// @notice The longest time from a dispute's opening to the moment it can be resolved. For a
    ///         third-party resolver the hub waits at least the committee's window and at most this,
    ///         and never past the job's deadline: a dispute still open then ends Undecided (the
    ///         requester is refunded, the collateral released).
    function disputeWindow() external view returns (uint256);

    /// @notice The seats that judge a dispute (for `JobRegistry.securityOf`).
    function committeeSize() external view returns (uint8);
}
