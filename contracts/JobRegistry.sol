// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Governed} from "./access/Governed.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IDisputeManager} from "./interfaces/IDisputeManager.sol";
import {IDisputeResolver} from "./interfaces/IDisputeResolver.sol";
import {IQuorumManager} from "./interfaces/IQuorumManager.sol";
import {IResultVerifier} from "./interfaces/IResultVerifier.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {IRandomnessSource, RandomnessStatus} from "./interfaces/IRandomnessSource.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";
import {JobParams} from "./libraries/JobParams.sol";
import {JobSettlement} from "./libraries/JobSettlement.sol";
import {Mode, Role, Status, Verdict, RequestParams} from "./types/Types.sol";

/// @title JobRegistry
/// @notice The Glassbox hub: escrow, assignment, results, verification by mode, disputes'
///         settlement, fee split and credits.
/// @dev Randomness. Every draw comes from the RANDOMNESS source's value for a block fixed in the
///      future by the transaction that triggers it, so no transaction that can still revert sees a
///      draw it triggered: a request (or a retry) arms the executor draw and `assign` draws once
///      the target has passed; the audit coin of an OPTIMISTIC result is the value of a block after
///      the submission's, and a coin that can no longer be read means "audited"; committees are
///      drawn by the resolver from a target fixed when the dispute opens (DisputeManager).
///      Executors are drawn from the live stake tree (committees from a snapshot): between the
///      target and `assign` an executor can still reshape its stake (docs/THREATS.md 36).
contract JobRegistry is IJobRegistry, Governed, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;
    using Checkpoints for Checkpoints.Trace208;

    /// @notice Largest inline output: it is stored, and 12 KiB of storage (about 8.5M gas) keeps the
    ///         submission far under the 2^24 per-transaction gas cap; larger outputs go by reference.
    uint256 internal constant MAX_INLINE_OUTPUT = 12 * 1024;
    /// @notice A job stores its callback gas cap in these units, rounded up (2M gas is 245 units).
    uint256 internal constant CALLBACK_GAS_UNIT = 8192;

    /// @notice The token fees, bonds and stakes are paid in.
    IERC20 public immutable TOKEN;
    /// @notice The model registry.
    IModelRegistry public immutable MODELS;
    /// @notice The stake manager (wired to this contract once, at deployment).
    IStakeManager public immutable STAKES;
    /// @notice The default dispute resolver: the committee (this contract is its hub).
    IDisputeManager public immutable DISPUTES;
    /// @notice The quorum manager (this contract is its hub).
    IQuorumManager public immutable QUORUM;
    /// @notice Holds fees, bonds and credits (wired to this contract once, at deployment).
    IPaymentVault public immutable VAULT;
    /// @notice The source of the audit coins' randomness.
    IRandomnessSource public immutable RANDOMNESS;
    /// @notice The least collateral an executor locks per job (all a NONE job ever locks).
    ///         The three collateral terms are immutable, so what a job locked is always what it
    ///         releases or loses (`collateralOf` recomputes it from the job's fee and mode).
    uint96 public immutable EXECUTOR_COLLATERAL;
    /// @notice Collateral per unit of fee, in basis points, for every mode that verifies.
    uint32 public immutable COLLATERAL_MULTIPLE_BPS;
    /// @notice The most collateral one executor locks for one job; fees that would need more are refused.
    uint96 public immutable MAX_COLLATERAL;

    // Every parameter set governance ever made, and from which job id each applies: a job is
    // settled under the parameters current at its request, whatever changes later.
    Params[] private _paramsHistory;
    Checkpoints.Trace208 private _paramsFrom; // first job id => index in _paramsHistory
    /// @notice The verifier of ATTESTED-mode results (zero: ATTESTED jobs cannot be served).
    IResultVerifier public resultVerifier;
    uint256 private _jobCount;
    /// @inheritdoc IJobRegistry
    mapping(address resolver => bool) public resolverAllowed;

    mapping(uint256 jobId => Job) private _jobs;
    mapping(uint256 jobId => bytes) private _outputs;
    mapping(uint256 jobId => string) private _outputURIs;
    // A job's bought audit rate and long execution window, where it has either (see JobTerms).
    mapping(uint256 jobId => JobTerms) private _terms;

    /// @param token The protocol token.
    /// @param models The model registry.
    /// @param stakes The stake manager.
    /// @param disputes The dispute manager.
    /// @param quorum The quorum manager.
    /// @param vault The payment vault.
    /// @param randomness The source of the audit coins' randomness.
    /// @param governance May set the parameters and the result verifier (a timelock on real networks).
    /// @param collateral The collateral terms: minimum, multiple of the fee (bps) and maximum.
    /// @param params_ The initial parameters.
    constructor(
        IERC20 token,
        IModelRegistry models,
        IStakeManager stakes,
        IDisputeManager disputes,
        IQuorumManager quorum,
        IPaymentVault vault,
        IRandomnessSource randomness,
        address governance,
        CollateralTerms memory collateral,
        Params memory params_
    ) Governed(governance) {
        JobParams.checkCollateral(collateral);
        TOKEN = token;
        MODELS = models;
        STAKES = stakes;
        DISPUTES = disputes;
        QUORUM = quorum;
        VAULT = vault;
        RANDOMNESS = randomness;
        EXECUTOR_COLLATERAL = collateral.minimum;
        COLLATERAL_MULTIPLE_BPS = collateral.multipleBps;
        MAX_COLLATERAL = collateral.maximum;
        _setParams(params_);
    }

    // ================================================================ requests

    /// @inheritdoc IJobRegistry
    function requestInference(RequestParams calldata p) external nonReentrant returns (uint256 jobId) {
        return _request(p);
    }

    /// @inheritdoc IJobRegistry
    function requestInferenceWithPermit(
        RequestParams calldata p,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant returns (uint256 jobId) {
        // A permit front-run by someone else still leaves the allowance: ignore its failure and let
        // the transfer decide (OpenZeppelin's advice for IERC20Permit).
        try IERC20Permit(address(TOKEN)).permit(msg.sender, address(this), p.fee, permitDeadline, v, r, s) {} catch {}
        return _request(p);
    }

    /// @inheritdoc IJobRegistry
    function assign(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        _requireStatus(jobId, job, Status.Unassigned);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp >= job.deadline) revert PhaseOver(jobId, job.deadline);
        (RandomnessStatus status, bytes32 value) = RANDOMNESS.randomnessOf(job.auditTarget);
        if (status == RandomnessStatus.Pending) revert DrawNotReady(jobId, job.auditTarget);
        // Nobody pinned while the value was readable: the attempt is spent and, if attempts and
        // time are left, a new target is armed (nobody saw the lost draw).
        if (status == RandomnessStatus.Lost) {
            ++job.attempts;
            emit JobUnassigned(jobId);
            _retryOrRefund(jobId, job, RefundReason.Expired);
        } else {
            _assign(jobId, job, value);
        }
    }

    // ================================================================ results

    /// @inheritdoc IJobRegistry
    function submitResult(uint256 jobId, bytes calldata output) external nonReentrant {
        Job storage job = _inlineSubmission(jobId, output);
        if (job.mode == Mode.QUORUM || job.mode == Mode.ATTESTED) revert WrongMode(jobId, job.mode);
        _acceptSubmission(jobId, job, keccak256(output), output, "");
    }

    /// @inheritdoc IJobRegistry
    function submitResultRef(uint256 jobId, bytes32 outputHash, string calldata outputURI) external nonReentrant {
        if (outputHash == bytes32(0) || bytes(outputURI).length == 0) revert EmptyOutput();
        if (bytes(outputURI).length > 512) revert InlineTooLarge(bytes(outputURI).length, 512);
        Job storage job = _assignedTo(jobId);
        if (job.mode == Mode.QUORUM || job.mode == Mode.ATTESTED) revert WrongMode(jobId, job.mode);
        _outputURIs[jobId] = outputURI;
        job.outputHash = outputHash;
        _acceptSubmission(jobId, job, outputHash, "", outputURI);
    }

    /// @inheritdoc IJobRegistry
    function submitAttestedResult(uint256 jobId, bytes calldata output, bytes calldata proof) external nonReentrant {
        Job storage job = _inlineSubmission(jobId, output);
        if (job.mode != Mode.ATTESTED) revert WrongMode(jobId, job.mode);
        IResultVerifier verifier = resultVerifier;
        if (address(verifier) == address(0)) revert NoResultVerifier();
        bytes32 outputHash = keccak256(output);
        bytes32 digest = MODELS.digestOf(job.modelId, job.version);
        if (!verifier.verifyResult(jobId, digest, job.inputHash, outputHash, msg.sender, proof))
            revert ProofRejected(jobId);
        _acceptSubmission(jobId, job, outputHash, output, "");
    }

    // ================================================================ verification

    /// @inheritdoc IJobRegistry
    function startAudit(uint256 jobId) external nonReentrant returns (uint256 disputeId) {
        Job storage job = _existing(jobId);
        _requireStatus(jobId, job, Status.Submitted);
        (, uint16 rate, ) = MODELS.termsAt(job.modelId, job.policyVersion);
        (bool known, bool selected) = _auditLottery(jobId, job, rate);
        if (!known) revert AuditSeedUnavailable(jobId, job.auditTarget);
        if (!selected) revert NotSelectedForAudit(jobId);
        disputeId = _openAudit(jobId, job);
    }

    /// @inheritdoc IJobRegistry
    function challenge(uint256 jobId) external nonReentrant returns (uint256 disputeId) {
        Job storage job = _existing(jobId);
        // solhint-disable-next-line not-rely-on-time
        if (job.status != Status.Submitted || block.timestamp > job.phaseEnd) revert NotChallengeable(jobId);
        uint96 bond;
        (disputeId, bond) = _openDispute(jobId, job, msg.sender);
        // Effects are done; the pull comes last and the call is nonReentrant.
        if (bond != 0) TOKEN.safeTransferFrom(msg.sender, address(VAULT), bond);
    }

    /// @inheritdoc IJobRegistry
    function resolveDispute(uint256 jobId) external nonReentrant returns (Verdict verdict) {
        Job storage job = _existing(jobId);
        _requireStatus(jobId, job, Status.Disputed);
        (Verdict v, address challenger, uint96 bounty) = JobSettlement.verdictOf(
            job,
            jobId,
            _resolverOf(job),
            DISPUTES
        );
        verdict = v;
        emit DisputeSettled(jobId, verdict);
        if (verdict == Verdict.Valid) {
            _finalizeSingle(jobId, job, MODELS.ownerOf(job.modelId));
            return verdict;
        }
        uint96 collateral = _collateralOf(job.fee, job.mode);
        if (verdict == Verdict.Invalid) {
            // The hub alone takes a job's collateral: all of it, to the treasury but for the
            // challenger's fixed bounty, so the cheater's sybils can win back at most that.
            uint256 slashed = JobSettlement.takeCollateral(
                jobId,
                job.executor,
                collateral,
                collateral,
                challenger,
                bounty,
                STAKES,
                VAULT
            );
            emit CollateralSlashed(jobId, job.executor, slashed);
            _retryOrRefund(jobId, job, RefundReason.Rejected);
        } else {
            STAKES.unlock(job.executor, Role.EXECUTOR, collateral);
            _refund(jobId, job, RefundReason.Undecided);
        }
    }

    /// @inheritdoc IJobRegistry
    function finalize(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        if (job.mode == Mode.QUORUM) {
            _finalizeQuorum(jobId, job);
            return;
        }
        _requireStatus(jobId, job, Status.Submitted);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp <= job.phaseEnd) revert PhaseNotOver(jobId, job.phaseEnd);
        (address modelOwner, uint16 auditRate, ) = MODELS.termsAt(job.modelId, job.policyVersion);
        (bool known, bool selected) = _auditLottery(jobId, job, auditRate);
        if (!known) revert AuditSeedUnavailable(jobId, job.auditTarget);
        if (selected) {
            _openAudit(jobId, job);
            return;
        }
        _finalizeSingle(jobId, job, modelOwner);
    }

    /// @inheritdoc IJobRegistry
    function timeout(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        if (job.mode == Mode.QUORUM) revert WrongMode(jobId, job.mode);
        _requireStatus(jobId, job, Status.Assigned);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp <= job.phaseEnd) revert PhaseNotOver(jobId, job.phaseEnd);
        _slashTimedOut(jobId, job);
        _retryOrRefund(jobId, job, RefundReason.Expired);
    }

    /// @inheritdoc IJobRegistry
    function cancel(uint256 jobId) external nonReentrant {
        Job storage job = _existing(jobId);
        if (msg.sender != job.requester) revert NotRequester(jobId, msg.sender);
        _requireStatus(jobId, job, Status.Unassigned);
        // INVARIANT: a requester cannot decline a draw it can already compute: once the draw's
        // randomness is known the job must be assigned (or re-armed), not cancelled.
        (RandomnessStatus status, ) = RANDOMNESS.randomnessOf(job.auditTarget);
        // solhint-disable-next-line not-rely-on-time
        if (status != RandomnessStatus.Pending && block.timestamp < job.deadline) {
            revert DrawNotReady(jobId, job.auditTarget);
        }
        _refund(jobId, job, RefundReason.Cancelled);
    }

    /// @inheritdoc IJobRegistry
    function deliver(uint256 jobId, bytes calldata output) external nonReentrant {
        Job storage job = _existing(jobId);
        JobSettlement.deliver(
            job,
            jobId,
            _outputHash(jobId, job),
            _outputs[jobId],
            bytes(_outputURIs[jobId]).length != 0,
            output,
            uint256(job.callbackGasUnits) * CALLBACK_GAS_UNIT
        );
    }

    // ================================================================ governance

    /// @notice Sets every parameter for the jobs requested from now on (jobs already requested keep
    ///         theirs, see `paramsOf`); each is bounded (see JobParams.check), the fee shares sum to
    ///         at most 100%, and a job's windows use at most half the unbonding period.
    function setParams(Params calldata params_) external onlyGovernance {
        _setParams(params_);
    }

    /// @inheritdoc IJobRegistry
    function setResolverAllowed(address resolver, bool allowed) external onlyGovernance {
        if (resolver == address(0)) revert ZeroAddress("resolver");
        resolverAllowed[resolver] = allowed;
        emit ResolverAllowed(resolver, allowed);
    }

    /// @notice Sets the verifier of ATTESTED results (zero disables the mode).
    function setResultVerifier(IResultVerifier verifier) external onlyGovernance {
        resultVerifier = verifier;
        emit ResultVerifierSet(address(verifier));
    }

    // ================================================================ views

    /// @inheritdoc IJobRegistry
    function jobOf(uint256 jobId) external view returns (Job memory) {
        return _existing(jobId);
    }

    /// @inheritdoc IJobRegistry
    function resultOf(
        uint256 jobId
    ) external view returns (Status status, bytes32 outputHash, bytes memory output, string memory outputURI) {
        Job storage job = _existing(jobId);
        return (job.status, _outputHash(jobId, job), _outputs[jobId], _outputURIs[jobId]);
    }

    /// @inheritdoc IJobRegistry
    function auditSelected(uint256 jobId) external view returns (bool known, bool selected) {
        Job storage job = _existing(jobId);
        if (job.status != Status.Submitted) return (false, false);
        (, uint16 rate, ) = MODELS.termsAt(job.modelId, job.policyVersion);
        return _auditLottery(jobId, job, rate);
    }

    /// @inheritdoc IJobRegistry
    function securityOf(
        uint256 jobId
    ) external view returns (uint96 collateral, uint16 auditRateBps, uint8 committeeSize) {
        Job storage job = _existing(jobId);
        collateral = _collateralOf(job.fee, job.mode);
        // Only an OPTIMISTIC result can be audited or challenged (an ATTESTED one is final on its proof).
        if (job.mode == Mode.OPTIMISTIC) {
            (, uint16 policyRate, ) = MODELS.termsAt(job.modelId, job.policyVersion);
            auditRateBps = _auditRateOf(jobId, policyRate);
            committeeSize = _resolverOf(job).committeeSize();
        }
    }

    /// @inheritdoc IJobRegistry
    function params() external view returns (Params memory) {
        return _paramsHistory[_paramsHistory.length - 1];
    }

    /// @inheritdoc IJobRegistry
    function paramsOf(uint256 jobId) external view returns (Params memory) {
        _existing(jobId);
        return _paramsOf(jobId);
    }

    /// @inheritdoc IJobRegistry
    function resolverOf(uint256 jobId) external view returns (address) {
        return address(_resolverOf(_existing(jobId)));
    }

    /// @inheritdoc IJobRegistry
    function jobCount() external view returns (uint256) {
        return _jobCount;
    }

    // ================================================================ internal: requests

    function _request(RequestParams calldata p) private returns (uint256 jobId) {
        (bytes32 inputHash, uint16 policyVersion, JobTerms memory terms, bool thirdParty) = _checkRequest(p);
        jobId = ++_jobCount;
        if (terms.auditRateBps != 0 || terms.executionWindow != 0) _terms[jobId] = terms;
        Job storage job = _jobs[jobId];
        job.requester = msg.sender;
        job.deadline = p.deadline;
        job.fee = p.fee;
        job.callback = p.callback;
        // Both fit: the callback gas is at most MAX_CALLBACK_GAS (245 units < 2^8) and model ids stay
        // below ModelRegistry.MAX_MODELS = 2^24 - 1 (checkRequest reverted otherwise).
        job.callbackGasUnits = uint8((uint256(p.callbackGasLimit) + CALLBACK_GAS_UNIT - 1) / CALLBACK_GAS_UNIT);
        job.modelId = uint24(p.modelId);
        job.version = p.version;
        job.policyVersion = policyVersion;
        job.mode = p.mode;
        // A third-party resolver checks the bytes anyone brings against this hash (IDisputeResolver.open).
        if (p.mode == Mode.ATTESTED || thirdParty) job.inputHash = inputHash;
        emit JobRequested(jobId, msg.sender, p.modelId, p, inputHash, policyVersion);
        _armDraw(jobId, job);
        // Effects are done; the pull comes last and the call is nonReentrant.
        TOKEN.safeTransferFrom(msg.sender, address(VAULT), p.fee);
    }

    function _checkRequest(
        RequestParams calldata p
    ) private view returns (bytes32 inputHash, uint16 policyVersion, JobTerms memory terms, bool thirdParty) {
        (inputHash, policyVersion, terms, thirdParty) = JobParams.checkRequest(
            p,
            _paramsHistory[_paramsHistory.length - 1],
            resolverAllowed,
            JobParams.Satellites({models: MODELS, disputes: DISPUTES, stakes: STAKES})
        );
        if (_collateralOf(p.fee, p.mode) > MAX_COLLATERAL) revert FeeAboveCollateralCap(p.fee, MAX_COLLATERAL);
    }

    /// @dev Fixes the randomness target of the job's next executor draw (its `auditTarget` slot
    ///      serves as the draw target until a result is submitted) and its stake snapshot (the
    ///      epoch of now, kept as a time in `phaseEnd`), and leaves the job Unassigned: nobody
    ///      learns the draw in this transaction; anyone `assign`s once the target has passed.
    function _armDraw(uint256 jobId, Job storage job) private {
        uint64 target = RANDOMNESS.request();
        job.auditTarget = uint32(target); // block numbers fit 32 bits
        // solhint-disable-next-line not-rely-on-time
        job.phaseEnd = uint32(block.timestamp);
        job.status = Status.Unassigned;
        emit DrawArmed(jobId, target);
    }

    /// @dev Draws the executor(s) of a job from `randomness` (the draw target's), excluding the
    ///      previous executor; when the draw assigned nobody, re-arms it or refunds (the attempt counts).
    function _assign(uint256 jobId, Job storage job, bytes32 randomness) private {
        Params storage p = _paramsOf(jobId);
        bool assigned = JobSettlement.assignExecutors(
            job,
            jobId,
            randomness,
            JobSettlement.AssignTerms({
                stakes: STAKES,
                quorum: QUORUM,
                vault: VAULT,
                collateral: _collateralOf(job.fee, job.mode),
                absencePenalty: p.timeoutSlash,
                seats: job.mode == Mode.QUORUM ? p.quorumSize : 1,
                executionWindow: _windowOf(jobId, p),
                revealWindow: p.revealWindow
            })
        );
        if (!assigned) _retryOrRefund(jobId, job, RefundReason.Expired);
    }

    // ================================================================ internal: results

    /// @dev Checks an inline output and its sender, stores it and flags an invalid-input claim.
    function _inlineSubmission(uint256 jobId, bytes calldata output) private returns (Job storage job) {
        if (output.length == 0) revert EmptyOutput();
        if (output.length > MAX_INLINE_OUTPUT) revert InlineTooLarge(output.length, MAX_INLINE_OUTPUT);
        job = _assignedTo(jobId);
        _outputs[jobId] = output;
        job.invalidClaim = output.length == 2 && output[0] == 0x00;
    }

    function _assignedTo(uint256 jobId) private view returns (Job storage job) {
        job = _existing(jobId);
        _requireStatus(jobId, job, Status.Assigned);
        if (msg.sender != job.executor) revert NotAssignedExecutor(jobId, msg.sender);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > job.phaseEnd) revert PhaseOver(jobId, job.phaseEnd);
    }

    function _acceptSubmission(
        uint256 jobId,
        Job storage job,
        bytes32 outputHash,
        bytes memory output,
        string memory outputURI
    ) private {
        uint32 challengeEnd;
        if (job.mode == Mode.OPTIMISTIC) {
            // solhint-disable-next-line not-rely-on-time
            challengeEnd = uint32(block.timestamp) + _paramsOf(jobId).challengeWindow;
            job.phaseEnd = challengeEnd;
            // The audit coin is the randomness of a block after this one: nobody, the executor
            // included, can read it in the transaction that submits (block numbers fit 32 bits).
            job.auditTarget = uint32(RANDOMNESS.request());
            job.status = Status.Submitted;
        }
        emit ResultSubmitted(jobId, msg.sender, outputHash, output, outputURI, challengeEnd);
        if (job.mode != Mode.OPTIMISTIC) _finalizeSingle(jobId, job, MODELS.ownerOf(job.modelId));
    }

    /// @dev Pays (or, for an invalid-input claim, refunds) a single-executor job; calls nobody (see `deliver`).
    function _finalizeSingle(uint256 jobId, Job storage job, address modelOwner) private {
        STAKES.unlock(job.executor, Role.EXECUTOR, _collateralOf(job.fee, job.mode));
        bool valid = !job.invalidClaim;
        if (valid) {
            job.status = Status.Finalized;
            address[] memory executors = new address[](1);
            executors[0] = job.executor;
            _payFee(jobId, job, executors, modelOwner);
        } else {
            _refund(jobId, job, RefundReason.InvalidInput);
        }
    }

    function _payFee(uint256 jobId, Job storage job, address[] memory executors, address modelOwner) private {
        Params storage p = _paramsOf(jobId);
        VAULT.payFee(
            jobId,
            job.modelId,
            job.fee,
            FeeSplit.Shares({verifierBps: p.verifierBps, modelOwnerBps: p.modelOwnerBps, treasuryBps: p.treasuryBps}),
            executors,
            modelOwner
        );
        emit JobFinalized(jobId, _outputHash(jobId, job));
    }

    function _refund(uint256 jobId, Job storage job, RefundReason reason) private {
        job.status = Status.Refunded;
        VAULT.credit(job.requester, jobId, job.fee);
        emit JobRefunded(jobId, reason, job.fee);
    }

    /// @dev After a rejected or timed-out attempt: another executor if attempts and time are left,
    ///      otherwise the fee goes back. The executor's collateral was released by the caller.
    function _retryOrRefund(uint256 jobId, Job storage job, RefundReason reason) private {
        job.outputHash = bytes32(0);
        job.invalidClaim = false;
        delete _outputs[jobId];
        delete _outputURIs[jobId];
        Params storage p = _paramsOf(jobId);
        // solhint-disable-next-line not-rely-on-time
        bool timeLeft = block.timestamp + _windowOf(jobId, p) <= job.deadline;
        if (job.attempts < p.maxAttempts && timeLeft) {
            _armDraw(jobId, job); // the next executor is drawn later, excluding this one (job.executor)
            return;
        }
        _refund(jobId, job, reason);
    }

    function _slashTimedOut(uint256 jobId, Job storage job) private returns (address executor) {
        executor = job.executor;
        // INVARIANT: a missed deadline pays nobody who could have caused it (the requester chose the
        // deadline): the penalty goes to the treasury. It is <= EXECUTOR_COLLATERAL <= the collateral.
        uint256 slashed = JobSettlement.takeCollateral(
            jobId,
            executor,
            _collateralOf(job.fee, job.mode),
            _paramsOf(jobId).timeoutSlash,
            address(0),
            0,
            STAKES,
            VAULT
        );
        emit JobTimedOut(jobId, executor, slashed);
    }

    // ================================================================ internal: quorum

    /// @dev Tallies the round (the QuorumManager enforces its timing), slashes the absent and,
    ///      when a strict majority exists, the dissenters, and pays the majority or refunds.
    function _finalizeQuorum(uint256 jobId, Job storage job) private {
        _requireStatus(jobId, job, Status.Assigned);
        (bool pay, RefundReason reason, address[] memory winners) = JobSettlement.tallyQuorum(
            job,
            jobId,
            JobSettlement.QuorumTerms({
                quorum: QUORUM,
                stakes: STAKES,
                vault: VAULT,
                collateral: _collateralOf(job.fee, Mode.QUORUM),
                winnerShareBps: _paramsOf(jobId).quorumWinnerShareBps
            })
        );
        if (pay) {
            job.status = Status.Finalized;
            _payFee(jobId, job, winners, MODELS.ownerOf(job.modelId));
        } else {
            _refund(jobId, job, reason);
        }
    }

    // ================================================================ internal: disputes

    function _openAudit(uint256 jobId, Job storage job) private returns (uint256 disputeId) {
        (disputeId, ) = _openDispute(jobId, job, address(0));
        emit AuditStarted(jobId, disputeId);
    }

    /// @dev Moves a Submitted job into dispute before the pinned resolver opens its round.
    function _openDispute(
        uint256 jobId,
        Job storage job,
        address challenger
    ) private returns (uint256 disputeId, uint96 bond) {
        IDisputeResolver resolver = _resolverOf(job);
        // Only a third-party resolver gets the output's hash: hashing a stored inline output costs a
        // read per 32 bytes, which the committee (it re-runs the job from the logs) does not need.
        bytes32 outputHash = address(resolver) == address(DISPUTES) ? bytes32(0) : _outputHash(jobId, job);
        return JobSettlement.openDispute(job, jobId, challenger, resolver, DISPUTES, outputHash);
    }

    /// @dev The resolver pinned by the job's policy version (the default committee when zero).
    function _resolverOf(Job storage job) private view returns (IDisputeResolver) {
        (, , address resolver) = MODELS.termsAt(job.modelId, job.policyVersion);
        return resolver == address(0) ? IDisputeResolver(address(DISPUTES)) : IDisputeResolver(resolver);
    }

    /// @dev The job's audit rate: the larger of its pinned policy's `policyRate` and the one bought.
    function _auditRateOf(uint256 jobId, uint16 policyRate) private view returns (uint16) {
        uint16 bought = _terms[jobId].auditRateBps;
        return bought > policyRate ? bought : policyRate;
    }

    /// @dev The job's execution window: its model's runtime when that is longer, else the protocol's.
    function _windowOf(uint256 jobId, Params storage p) private view returns (uint32) {
        uint32 window = _terms[jobId].executionWindow;
        return window != 0 ? window : p.executionWindow;
    }

    /// @dev The parameters current when `jobId` was requested.
    function _paramsOf(uint256 jobId) private view returns (Params storage) {
        return _paramsHistory[_paramsFrom.upperLookup(uint48(jobId))];
    }

    /// @dev The stored hash of a by-reference output, or the hash of the inline output.
    function _outputHash(uint256 jobId, Job storage job) private view returns (bytes32) {
        if (job.outputHash != bytes32(0)) return job.outputHash;
        bytes storage output = _outputs[jobId];
        return output.length == 0 ? bytes32(0) : keccak256(output);
    }

    /// @dev The audit coin at the larger of the policy's `rate` and the rate the requester bought.
    function _auditLottery(
        uint256 jobId,
        Job storage job,
        uint16 rate
    ) private view returns (bool known, bool selected) {
        if (job.mode != Mode.OPTIMISTIC) return (true, false);
        return JobSettlement.auditCoin(address(RANDOMNESS), job.auditTarget, jobId, _auditRateOf(jobId, rate));
    }

    /// @dev The collateral each executor of a job locks: the minimum for NONE (nothing verifies
    ///      it), else the fee times the multiple, never below the minimum. `_checkRequest` refuses
    ///      fees whose collateral would pass MAX_COLLATERAL, so the result fits 96 bits.
    function _collateralOf(uint96 fee, Mode mode) private view returns (uint96) {
        if (mode == Mode.NONE) return EXECUTOR_COLLATERAL;
        uint256 scaled = (uint256(fee) * COLLATERAL_MULTIPLE_BPS) / FeeSplit.BPS;
        return scaled < EXECUTOR_COLLATERAL ? EXECUTOR_COLLATERAL : uint96(scaled);
    }

    // ================================================================ internal: checks

    function _existing(uint256 jobId) private view returns (Job storage job) {
        job = _jobs[jobId];
        if (job.requester == address(0)) revert UnknownJob(jobId);
    }

    function _requireStatus(uint256 jobId, Job storage job, Status expected) private view {
        if (job.status != expected) revert JobNotInStatus(jobId, job.status);
    }

    /// @dev Checks and records a parameter set; it applies to the jobs requested from now on.
    function _setParams(Params memory p) private {
        JobParams.check(p, EXECUTOR_COLLATERAL, DISPUTES.disputeWindow(), STAKES.unbondingPeriod());
        _paramsHistory.push(p);
        // Job ids fit 48 bits and the history's length 208 (one entry per governance action).
        _paramsFrom.push(uint48(_jobCount + 1), uint208(_paramsHistory.length - 1));
        emit ParamsSet(p);
    }
}
