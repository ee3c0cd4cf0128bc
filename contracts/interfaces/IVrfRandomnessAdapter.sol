// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGlassboxErrors} from "./IGlassboxErrors.sol";
import {IRandomnessSource} from "./IRandomnessSource.sol";
import {IVrfConsumer, IVrfCoordinator} from "./IVrfCoordinator.sol";

/// @title IVrfRandomnessAdapter
/// @notice A randomness source whose values come from a VRF service (`IVrfCoordinator`), for
///         deployments where one draw can be worth more than what a block builder or sequencer
///         would give up to bias a chain-data source. A target is an id the adapter assigns
///         (1, 2, 3, ...), not a block number: `request` asks the coordinator for a word and
///         returns the next id; the coordinator's fulfilment, in a later block, makes it Ready.
///         A target the coordinator does not fulfil within `FULFILMENT_TIMEOUT` blocks is Lost for
///         good, so a draw re-arms instead of waiting forever.
/// @dev Only the wired consumers (the protocol contracts that draw) may call `request`: every
///      request costs the subscription behind the coordinator.
interface IVrfRandomnessAdapter is IRandomnessSource, IVrfConsumer, IGlassboxErrors {
    /// @notice Thrown when the coordinator fulfils a request id the adapter never received.
    error UnknownRequest(uint256 requestId);
    /// @notice Thrown when the coordinator returns, for a new request, an id it returned before.
    error DuplicateRequestId(uint256 requestId, uint64 target);
    /// @notice Thrown when a request is fulfilled a second time.
    error AlreadyFulfilled(uint256 requestId, uint64 target);
    /// @notice Thrown when a fulfilment arrives in the block of its request (for instance from a
    ///         coordinator that answers inside `requestRandomWord`).
    error FulfilmentInRequestBlock(uint64 target, uint256 blockNumber);
    /// @notice Thrown when a fulfilment arrives after its target became Lost.
    error FulfilmentTooLate(uint64 target, uint256 deadline);

    /// @notice Emitted once, when the deployer wires a consumer that may call `request`.
    event ConsumerWired(address indexed consumer);
    /// @notice Emitted when a consumer's `request` assigns `target` to the coordinator's `requestId`.
    event RandomnessRequested(uint64 indexed target, uint256 indexed requestId, address indexed consumer);

    /// @notice Wires, once, the contracts that may call `request` (the JobRegistry and the
    ///         DisputeManager of one deployment). Deployer only; at most `MAX_CONSUMERS` of them.
    /// @param consumers The contracts that draw; none may be zero.
    function wire(address[] calldata consumers) external;

    /// @notice The VRF service (or its shim) the adapter asks, and the only caller of `fulfillRandomWord`.
    /// @return The coordinator.
    function COORDINATOR() external view returns (IVrfCoordinator);

    /// @notice The account that deployed the adapter: the only one that may `wire` it.
    /// @return The deployer.
    function DEPLOYER() external view returns (address);

    /// @notice Blocks after its request's block during which a target may still be fulfilled;
    ///         after them an unfulfilled target is Lost.
    /// @return The timeout in blocks.
    function FULFILMENT_TIMEOUT() external view returns (uint64);

    /// @notice The target the next `request` will return (targets start at 1).
    /// @return The next target.
    function nextTarget() external view returns (uint64);

    /// @notice Whether `account` may call `request`.
    /// @param account The address to check.
    /// @return True for a wired consumer.
    function isConsumer(address account) external view returns (bool);

    /// @notice The coordinator's request id and the request block of `target`.
    /// @param target A target returned by `request`.
    /// @return requestId The coordinator's id (zero for a target never requested).
    /// @return requestedAt The block of the request (zero for a target never requested).
    function requestOf(uint64 target) external view returns (uint256 requestId, uint64 requestedAt);

    /// @notice The target a coordinator request id was assigned to.
    /// @param requestId An id the coordinator returned.
    /// @return The target, zero for an id the adapter never received.
    function targetOfRequest(uint256 requestId) external view returns (uint64);
}
