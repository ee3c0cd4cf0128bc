// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IDisputeManager} from "../interfaces/IDisputeManager.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {Role} from "../types/Types.sol";

/// @notice Test-only: the adversarial review's committee grinder. A staked verifier contract that
///         challenges a job (or starts its audit), reads the committee in the same transaction and
///         reverts unless its sybils hold a majority of the seats, so an unlucky try costs nothing
///         and it can retry every block until it owns the committee.
contract CommitteeGrinder {
    /// @notice Thrown when the committee seen in the transaction is not the grinder's to command.
    error Unlucky(uint256 sybilSeats, uint256 seats);

    IJobRegistry public immutable JOBS;
    IDisputeManager public immutable DISPUTES;
    mapping(address node => bool) public isSybil;

    /// @param jobs The hub.
    /// @param disputes The dispute manager.
    /// @param sybils The nodes the grinder controls.
    constructor(IJobRegistry jobs, IDisputeManager disputes, address[] memory sybils) {
        JOBS = jobs;
        DISPUTES = disputes;
        for (uint256 i = 0; i < sybils.length; ++i) isSybil[sybils[i]] = true;
    }

    /// @notice Stakes `amount` as a verifier (the grinder must be one to challenge) and approves the
    ///         hub for bonds.
    function join(IStakeManager stakes, IERC20 token, uint256 amount) external {
        token.approve(address(stakes), amount);
        stakes.stake(Role.VERIFIER, amount);
        token.approve(address(JOBS), type(uint256).max);
    }

    /// @notice Challenges `jobId` and keeps the challenge only if its sybils hold the majority.
    function challengeIfLucky(uint256 jobId) external {
        JOBS.challenge(jobId);
        _requireMajority(jobId);
    }

    /// @notice Starts `jobId`'s audit and keeps it only if its sybils hold the majority.
    function auditIfLucky(uint256 jobId) external {
        JOBS.startAudit(jobId);
        _requireMajority(jobId);
    }

    function _requireMajority(uint256 jobId) private view {
        uint256 disputeId = DISPUTES.disputeOfJob(jobId);
        address[] memory members = DISPUTES.committeeOf(disputeId);
        uint256 sybilSeats;
        uint256 seats;
        for (uint256 i = 0; i < members.length; ++i) {
            uint256 held = DISPUTES.seatsOf(disputeId, members[i]);
            seats += held;
            if (isSybil[members[i]]) sybilSeats += held;
        }
        if (seats == 0 || sybilSeats * 2 <= seats) revert Unlucky(sybilSeats, seats);
    }
}
