// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IVrfCoordinator
/// @notice The smallest surface a VRF service needs to offer `VrfRandomnessAdapter`: one call that
///         asks for one random word and returns the service's id for that request. The service
///         answers later, in another transaction, by calling `IVrfConsumer.fulfillRandomWord` on
///         the contract that asked.
/// @dev Glassbox depends on no VRF vendor. A real deployment puts a thin shim between the adapter
///      and a concrete service and points the adapter at the shim:
///      - Chainlink VRF v2.5: the shim is the subscription's consumer. `requestRandomWord` calls
///        the coordinator's `requestRandomWords` (the shim's key hash, subscription id,
///        confirmations and callback gas limit, `numWords = 1`) and returns its request id; the
///        shim's `rawFulfillRandomWords(requestId, randomWords)` checks that the Chainlink
///        coordinator called it and forwards `bytes32(randomWords[0])` to
///        `fulfillRandomWord(requestId, value)` on the adapter.
///      - Gelato VRF, or a drand bridge that verifies a beacon round on chain: the same shape, an
///        id out on request and one verified word in on fulfilment.
///      The shim, not the adapter, holds the vendor's configuration and its funding.
interface IVrfCoordinator {
    /// @notice Asks for one random word for the caller. The word must be delivered later, in a
    ///         different transaction, by calling `IVrfConsumer.fulfillRandomWord` on the caller.
    /// @return requestId The service's id for this request; never reused.
    function requestRandomWord() external returns (uint256 requestId);
}

/// @title IVrfConsumer
/// @notice What a VRF coordinator (or its shim) calls on the contract that asked for a word.
interface IVrfConsumer {
    /// @notice Delivers the random word of request `requestId`. Only the coordinator may call it.
    /// @param requestId The id `IVrfCoordinator.requestRandomWord` returned.
    /// @param value The verified random word.
    function fulfillRandomWord(uint256 requestId, bytes32 value) external;
}
