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
    /// @notice Largest inline input (calldata and an event only); larger inputs travel by hash and URI.
    uint256 internal constant MAX_INLINE_BYTES = 64 * 1024;
    /// @notice Longest input or output URI.
    uint256 internal constant MAX_URI_BYTES = 512;
    /// @notice Largest callback gas limit a requester may ask for.
    uint256 internal constant MAX_CALLBACK_GAS = 2_000_000;
    /// @notice A deadline is at least one execution window and at most this far away.
    uint256 internal constant MAX_JOB_DURATION = 30 days;

    /// @notice What `checkRequest` needs of a request (the input bytes stay in the hub).
    struct RequestCheck {
        uint256 inputLength; // bytes of inline input (zero when by reference)
        bytes32 inputHash; // the declared hash of a by-reference input
        uint256 uriLength; // bytes of the input URI
        uint32 inputSize; // the declared size of a by-reference input
        uint96 fee;
        uint32 deadline;
        address callback;
        uint32 callbackGasLimit;
        uint96 minFee; // the protocol's fee floor
        uint32 executionWindow; // the window a deadline must leave
    }

    /// @notice Reverts with `ParameterOutOfBounds` naming the first parameter outside its bound,
    ///         including windows longer than half of `unbondingPeriod` (named "window").
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
        // INVARIANT: a job's own windows use at most half the unbonding period and a dispute's at
        // most the other half (DisputeManager checks its own), so no slash can come after a staker
        // who was exposed to it has unbonded; each contract checks its half without calling the other.
        _bound("window", longestWindow(p, 0), 0, unbondingPeriod / 2);
        _bound("window", longestWindow(p, disputeWindow), 0, unbondingPeriod);
    }

    /// @notice Checks a request's own fields (the model's rules are the ModelRegistry's): exactly
    ///         one of an inline input or (hash, URI, size), sizes within bounds, the protocol's fee
    ///         floor, a deadline that leaves a full execution window, a callback gas cap only with a
    ///         callback. Reverts with the JobRegistry's named error of the first rule broken.
    /// @param p The request's fields other than the input bytes (see `RequestCheck`).
    /// @return inputSize The input's size in bytes, or the declared size.
    function checkRequest(RequestCheck memory p) public view returns (uint256 inputSize) {
        if (p.inputLength != 0) {
            if (p.inputHash != bytes32(0) || p.uriLength != 0) revert IJobRegistry.InputBothInlineAndByReference();
            if (p.inputLength > MAX_INLINE_BYTES) revert IJobRegistry.InlineTooLarge(p.inputLength, MAX_INLINE_BYTES);
            inputSize = p.inputLength;
        } else {
            if (p.inputHash == bytes32(0) || p.uriLength == 0 || p.inputSize == 0) revert IJobRegistry.InputMissing();
            if (p.uriLength > MAX_URI_BYTES) revert IJobRegistry.InlineTooLarge(p.uriLength, MAX_URI_BYTES);
            inputSize = p.inputSize;
        }
        if (p.fee < p.minFee) revert IJobRegistry.FeeBelowProtocolMinimum(p.fee, p.minFee);
        // INVARIANT: the deadline leaves a full execution window, so the requester's deadline
        // never cuts an executor's phase short.
        // solhint-disable-next-line not-rely-on-time
        uint256 earliest = block.timestamp + p.executionWindow;
        // solhint-disable-next-line not-rely-on-time
        uint256 latest = block.timestamp + MAX_JOB_DURATION;
        if (p.deadline < earliest || p.deadline > latest) {
            revert IJobRegistry.DeadlineOutOfRange(p.deadline, earliest, latest);
        }
        if (p.callbackGasLimit > MAX_CALLBACK_GAS || (p.callback == address(0) && p.callbackGasLimit != 0)) {
            revert IJobRegistry.InvalidCallbackGas(p.callback, p.callbackGasLimit);
        }
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
