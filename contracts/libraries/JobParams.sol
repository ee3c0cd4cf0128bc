// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IGlassboxErrors} from "../interfaces/IGlassboxErrors.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IDisputeManager} from "../interfaces/IDisputeManager.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {ModelRegistry} from "../ModelRegistry.sol";
import {Mode, RequestParams} from "../types/Types.sol";
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

    /// @notice The contracts a request check reads.
    struct Satellites {
        IModelRegistry models;
        IDisputeManager disputes;
        IStakeManager stakes;
    }

    /// @dev What the model registry says of a request.
    struct ModelTerms {
        uint16 auditRateBps;
        uint16 policyVersion;
        address resolver;
        uint32 runtime;
    }

    /// @notice Checks a request against the protocol's rules, the model's policy and the audit-cost
    ///         fee floor. Reverts with the JobRegistry's (or the ModelRegistry's) named error of the
    ///         first rule broken:
    ///         - exactly one of an inline input or (hash, URI, size), sizes within bounds;
    ///         - the protocol's and the model's fee floors; a callback gas cap only with a callback;
    ///         - a deadline that leaves a full execution phase: the protocol's execution window, or
    ///           the model's declared runtime when longer (which, with the challenge or reveal
    ///           window after it, must fit in half the unbonding period: RuntimeTooLong);
    ///         - the model's resolver, if any, allowed by governance;
    ///         - a requested audit rate only for OPTIMISTIC and at most the protocol's cap;
    ///         - for an OPTIMISTIC job judged by the default committee, a fee whose verifiers' share
    ///           covers its expected audit: fee x verifierBps >= rate x `disputes.auditCost()`, with
    ///           rate the larger of the policy's and the requested one (a model's jobs fund their
    ///           own audits, and a requester buys a higher audit rate with a higher fee).
    /// @param p The request.
    /// @param current The parameters that will apply to the job.
    /// @param resolverAllowed The hub's allow-list of resolvers.
    /// @param satellites The model registry, the default resolver (the committee) and the stake
    ///        manager (read for its unbonding period only when a runtime is long).
    /// @return inputHash keccak256 of the inline input, or the declared hash.
    /// @return policyVersion The model policy the job is pinned to.
    /// @return terms What the job keeps beyond its record: the audit rate bought above the policy's
    ///         and the execution window when the runtime makes it longer (each zero otherwise).
    /// @return thirdParty Whether the job's resolver is not the default committee (the hub then keeps its input hash).
    function checkRequest(
        RequestParams calldata p,
        IJobRegistry.Params storage current,
        mapping(address => bool) storage resolverAllowed,
        Satellites memory satellites
    )
        public
        view
        returns (bytes32 inputHash, uint16 policyVersion, IJobRegistry.JobTerms memory terms, bool thirdParty)
    {
        ModelTerms memory model = _modelTerms(p, _checkShape(p, current.minFee), satellites.models);
        inputHash = p.input.length != 0 ? keccak256(p.input) : p.inputHash;
        policyVersion = model.policyVersion;
        terms.executionWindow = _checkDeadline(p.deadline, current, model.runtime, satellites.stakes);
        // INVARIANT: a job is judged only by a resolver governance allowed when it was requested.
        if (model.resolver != address(0) && !resolverAllowed[model.resolver]) {
            revert IJobRegistry.ResolverNotAllowed(model.resolver);
        }
        thirdParty = model.resolver != address(0);
        terms.auditRateBps = _checkAuditRate(p, model.auditRateBps, thirdParty, current.verifierBps, satellites);
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

    /// @dev The requested audit rate and the audit-cost fee floor (see `checkRequest`); returns the
    ///      requested rate when above the policy's, zero otherwise.
    function _checkAuditRate(
        RequestParams calldata p,
        uint16 policyRate,
        bool ownResolver,
        uint256 verifierBps,
        Satellites memory satellites
    ) private view returns (uint16 bought) {
        uint16 asked = p.auditRateBps;
        if (asked != 0) {
            // The registry's cap is read only when a rate is asked for: most requests buy none.
            uint16 cap = ModelRegistry(address(satellites.models)).MAX_AUDIT_RATE_BPS();
            if (p.mode != Mode.OPTIMISTIC || asked > cap) revert IJobRegistry.AuditRateNotOffered(asked, cap);
        }
        if (asked > policyRate) bought = asked;
        uint256 rate = asked > policyRate ? asked : policyRate;
        if (p.mode != Mode.OPTIMISTIC || ownResolver || rate == 0) return bought;
        // INVARIANT: the verifiers' share of an OPTIMISTIC fee covers its expected audit, so the
        // model's audit pot pays every seat of its audits (wash audits cannot drain other pots).
        uint256 cost = rate * satellites.disputes.auditCost();
        uint256 floor = verifierBps == 0 ? type(uint256).max : (cost + verifierBps - 1) / verifierBps;
        if (p.fee < floor) revert IJobRegistry.FeeBelowAuditCost(p.fee, floor);
    }

    /// @dev The model registry's checks of a request and what it returns of the model's policy.
    function _modelTerms(
        RequestParams calldata p,
        uint256 inputSize,
        IModelRegistry models
    ) private view returns (ModelTerms memory t) {
        (, t.auditRateBps, t.policyVersion, t.resolver, t.runtime) = models.checkRequest(
            p.modelId,
            p.version,
            p.mode,
            p.fee,
            inputSize
        );
    }

    /// @dev The job's execution window (zero: the protocol's) and the deadline it requires.
    function _checkDeadline(
        uint32 deadline,
        IJobRegistry.Params storage current,
        uint32 runtime,
        IStakeManager stakes
    ) private view returns (uint32 window) {
        uint256 phase = current.executionWindow;
        if (runtime > phase) {
            // INVARIANT: a model's runtime lengthens a job's phase only as far as its challenge or
            // reveal window still fits in half the unbonding period (which never shortens), so no
            // slash can come after a staker exposed to it has unbonded.
            uint256 after_ = current.challengeWindow > current.revealWindow
                ? current.challengeWindow
                : current.revealWindow;
            uint256 longest = stakes.unbondingPeriod() / 2 - after_;
            if (runtime > longest) revert IJobRegistry.RuntimeTooLong(runtime, longest);
            phase = runtime;
            window = runtime;
        }
        // INVARIANT: the deadline leaves a full execution phase, so the requester's deadline never
        // cuts an executor's phase short.
        // solhint-disable-next-line not-rely-on-time
        uint256 earliest = block.timestamp + phase;
        // solhint-disable-next-line not-rely-on-time
        uint256 latest = block.timestamp + MAX_JOB_DURATION;
        if (deadline < earliest || deadline > latest)
            revert IJobRegistry.DeadlineOutOfRange(deadline, earliest, latest);
    }

    /// @dev The request's own fields (see `checkRequest`); returns the input's size.
    function _checkShape(RequestParams calldata p, uint96 minFee) private pure returns (uint256 inputSize) {
        uint256 uriLength = bytes(p.inputURI).length;
        if (p.input.length != 0) {
            if (p.inputHash != bytes32(0) || uriLength != 0) revert IJobRegistry.InputBothInlineAndByReference();
            if (p.input.length > MAX_INLINE_BYTES) revert IJobRegistry.InlineTooLarge(p.input.length, MAX_INLINE_BYTES);
            inputSize = p.input.length;
        } else {
            if (p.inputHash == bytes32(0) || uriLength == 0 || p.inputSize == 0) revert IJobRegistry.InputMissing();
            if (uriLength > MAX_URI_BYTES) revert IJobRegistry.InlineTooLarge(uriLength, MAX_URI_BYTES);
            inputSize = p.inputSize;
        }
        if (p.fee < minFee) revert IJobRegistry.FeeBelowProtocolMinimum(p.fee, minFee);
        if (p.callbackGasLimit > MAX_CALLBACK_GAS || (p.callback == address(0) && p.callbackGasLimit != 0)) {
            revert IJobRegistry.InvalidCallbackGas(p.callback, p.callbackGasLimit);
        }
    }

    function _bound(string memory name, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert IGlassboxErrors.ParameterOutOfBounds(name, value, min, max);
    }
}
