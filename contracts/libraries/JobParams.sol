// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IGlassboxErrors} from "../interfaces/IGlassboxErrors.sol";
import {FeeSplit} from "./FeeSplit.sol";

/// @title JobParams
/// @notice The bounds of the JobRegistry's parameters and collateral terms, and the longest window
///         in which a job can still cause a slash. A linked library (its functions are `public`):
///         the checks run only when governance sets parameters, and keeping them out of the hub
///         keeps the hub under the contract size limit.
library JobParams {
    /// @notice Bounds of every window parameter.
    uint32 internal constant MIN_WINDOW = 1 minutes;
    uint32 internal constant MAX_WINDOW = 7 days;
    /// @notice Largest quorum.
    uint8 internal constant MAX_QUORUM = 9;
    /// @notice Most assignments a job may have.
    uint8 internal constant MAX_ATTEMPTS = 5;
    /// @notice Largest amount parameter (fees, bonds, slashes): 1e9 tokens of 18 decimals.
    uint96 internal constant MAX_AMOUNT = 1e27;
    /// @notice Largest collateral multiple: 1,000 times the fee.
    uint32 internal constant MAX_COLLATERAL_MULTIPLE_BPS = 10_000_000;

    /// @notice Reverts with `ParameterOutOfBounds` naming the first parameter outside its bound,
    ///         including windows whose longest slashable span exceeds `unbondingPeriod`.
    /// @param p The parameters to check.
    /// @param minCollateral The hub's minimum collateral (a timeout slash may not exceed it).
    /// @param disputeWindow The dispute manager's commit plus reveal windows.
    /// @param unbondingPeriod The stake manager's unbonding period.
    function check(
        IJobRegistry.Params memory p,
        uint96 minCollateral,
        uint256 disputeWindow,
        uint256 unbondingPeriod
    ) public pure {
        _bound("executionWindow", p.executionWindow, MIN_WINDOW, MAX_WINDOW);
        _bound("challengeWindow", p.challengeWindow, MIN_WINDOW, MAX_WINDOW);
        _bound("revealWindow", p.revealWindow, MIN_WINDOW, MAX_WINDOW);
        if (p.quorumSize < 3 || p.quorumSize > MAX_QUORUM || p.quorumSize % 2 == 0) {
            revert IGlassboxErrors.ParameterOutOfBounds("quorumSize", p.quorumSize, 3, MAX_QUORUM);
        }
        _bound("maxAttempts", p.maxAttempts, 1, MAX_ATTEMPTS);
        _bound("feeShares", uint256(p.verifierBps) + p.modelOwnerBps + p.treasuryBps, 0, FeeSplit.BPS);
        _bound("quorumWinnerShareBps", p.quorumWinnerShareBps, 0, FeeSplit.BPS);
        _bound("minFee", p.minFee, 1, MAX_AMOUNT);
        _bound("timeoutSlash", p.timeoutSlash, 0, minCollateral);
        _bound("window", longestWindow(p, disputeWindow), 0, unbondingPeriod);
    }

    /// @notice Reverts with `ParameterOutOfBounds` unless 0 < minimum <= maximum <= MAX_AMOUNT and
    ///         the multiple is between 1x and 1,000x the fee.
    function checkCollateral(IJobRegistry.CollateralTerms memory c) public pure {
        _bound("collateralMinimum", c.minimum, 1, c.maximum);
        _bound("collateralMaximum", c.maximum, 1, MAX_AMOUNT);
        _bound("collateralMultipleBps", c.multipleBps, FeeSplit.BPS, MAX_COLLATERAL_MULTIPLE_BPS);
    }

    /// @notice From an assignment to the last slash it can cause: the longer of execution +
    ///         challenge (OPTIMISTIC) and execution + reveal (QUORUM), plus a dispute's windows.
    function longestWindow(IJobRegistry.Params memory p, uint256 disputeWindow) public pure returns (uint256) {
        uint256 single = uint256(p.executionWindow) + p.challengeWindow;
        uint256 quorum = uint256(p.executionWindow) + p.revealWindow;
        return (single > quorum ? single : quorum) + disputeWindow;
    }

    function _bound(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IGlassboxErrors.ParameterOutOfBounds(name, value, min, max);
    }
}
