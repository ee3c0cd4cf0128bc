// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {Role} from "../types/Types.sol";

/// @notice Test-only: an executor contract that would dodge audits. It submits its result and, in the
///         same transaction, tries to learn its audit coin (`auditSelected`, then `startAudit`),
///         reverting if it can: were the coin readable there, it would revert whenever selected and
///         resubmit in a later block until passed over, so no wrong result of its would be audited.
contract AuditCoinProbe {
    /// @notice Thrown when the coin of `jobId` could be read in the submitting transaction.
    error CoinReadable(uint256 jobId, bool selected);

    /// @notice Emitted when the probe submitted `jobId` and could not learn its coin.
    event CoinHidden(uint256 jobId);

    IJobRegistry public immutable JOBS;

    /// @param jobs The hub.
    constructor(IJobRegistry jobs) {
        JOBS = jobs;
    }

    /// @notice Stakes `amount` as an executor, so that the hub may assign jobs to this contract.
    function join(IStakeManager stakes, IERC20 token, uint256 amount) external {
        token.approve(address(stakes), amount);
        stakes.stake(Role.EXECUTOR, amount);
    }

    /// @notice Submits `output` for `jobId`, then tries to read the job's audit coin two ways.
    function submitAndPeek(uint256 jobId, bytes calldata output) external {
        JOBS.submitResult(jobId, output);
        (bool known, bool selected) = JOBS.auditSelected(jobId);
        if (known) revert CoinReadable(jobId, selected);
        // startAudit acts on the coin: it may only refuse because the coin is not known yet.
        try JOBS.startAudit(jobId) {
            revert CoinReadable(jobId, true);
        } catch (bytes memory reason) {
            if (bytes4(reason) != IJobRegistry.AuditSeedUnavailable.selector) revert CoinReadable(jobId, false);
        }
        emit CoinHidden(jobId);
    }
}
