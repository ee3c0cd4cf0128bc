// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title GlassboxTimelock
/// @notice The GOVERNANCE of a real deployment: OpenZeppelin's TimelockController, unchanged. Every
///         parameter change is scheduled in public and can run only `minDelay` later; the deploy
///         script sets `minDelay` above the unbonding period plus the longest slashable window, so
///         a staker who dislikes a queued change can leave before it lands. Deployed with no admin
///         (`admin` = address(0)): only the timelock itself, through a delayed operation, can change
///         its proposers, executors or delay.
contract GlassboxTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling an operation and the first moment it can run.
    /// @param proposers May schedule (and cancel) operations.
    /// @param executors May execute ready operations (address(0) in the list would let anyone).
    /// @param admin An optional admin of the roles; pass address(0) for none.
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
