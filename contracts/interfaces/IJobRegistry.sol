// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Mode, Status, Verdict, RequestParams} from "../types/Types.sol";
import {IGoverned} from "./IGoverned.sol";

/// @title IJobRegistry
/// @notice The hub users call. A request escrows its fee and is assigned to executors drawn by
///         stake; the result is checked by the job's verification mode; the fee is then split
///         between the executor, the model's audit pot, the model owner and the treasury, or
///         refunded. Every payout is credited in the PaymentVault and claimed there. Nothing here
///         calls a requester's contract until someone `deliver`s a finished job's result.
interface IJobRegistry is IGoverned {
    /// @notice Governance parameters, each bounded where it is set (see `setParams`).
    struct Params {
        uint32 executionWindow; // time an executor (or a quorum) has to submit (or commit)
        uint32 challengeWindow; // OPTIMISTIC: time to challenge a result
        uint32 revealWindow; // QUORUM: time to reveal after the commitments close
        uint8 quorumSize; // QUORUM: executors per job (odd)
        uint8 maxAttempts; // assignments a job may use before it is refunded
        uint16 verifierBps; // share of each fee paid into its model's audit pot (pays that model's committees)
        uint16 modelOwnerBps; // share paid to the model's owner
        uint16 treasuryBps; // share paid to the treasury; the executor gets the rest
        uint16 quorumWinnerShareBps; // share of a quorum's slashed pot paid to its majority
        uint96 minFee; // the protocol's fee floor (against dust jobs)
        uint96 timeoutSlash; // taken from an executor that misses its deadline, to the treasury
    }

    /// @notice What an executor locks per job: `max(minimum, fee x multipleBps / 10,000)` for every
    ///         mode that verifies, `minimum` for NONE; fees whose collateral would pass `maximum` are
    ///         refused. Fixed at deployment.
    struct CollateralTerms {
        uint96 minimum;
        uint32 multipleBps;
        uint96 maximum;
    }

    /// @notice One job, packed so that a submission and a finalization write only slot 0.
    struct Job {
        // slot 0: written at request, submission and settlement
        address requester;
        // End of the current phase: execution, challenge, the quorum's commit phase, or a third-party
        // resolver's deadline; while Unassigned, when the draw was armed (its epoch is the draw's snapshot).
        uint32 phaseEnd;
        uint32 auditTarget; // OPTIMISTIC: the block whose randomness is the audit coin (after the submission's)
        Mode mode;
        Status status;
        uint8 attempts; // assignments so far
        bool invalidClaim; // the posted output is the executor's claim that the input was invalid
        // slot 1: written at request and on reassignment
        address executor; // the assigned executor (the first majority member for QUORUM)
        uint96 fee;
        // slot 2: written at request only
        address callback;
        uint8 callbackGasUnits; // the callback's gas cap in units of CALLBACK_GAS_UNIT (rounded up)
        uint24 modelId;
        uint16 version;
        uint32 deadline; // the requester's deadline for a final result
        uint16 policyVersion; // the model policy the job was requested under (audit rate, resolver)
        // slot 3: ATTESTED jobs only (the chain checks proofs against it); other modes carry the
        // input hash in JobRequested alone, which is all their verifiers need
        bytes32 inputHash;
        // slot 4: outputs posted by reference only; resultOf hashes inline outputs on the fly
        bytes32 outputHash;
    }

    /// @notice What a job keeps beyond its record, only when it differs from the defaults (one slot,
    ///         written at request only then): the audit rate its requester bought above the pinned
    ///         policy's, and its execution window when the model's runtime is longer than the protocol's.
    struct JobTerms {
        uint16 auditRateBps; // zero: the policy's rate
        uint32 executionWindow; // zero: the protocol's window
    }

    /// @notice Why a job's fee went back to its requester.
    enum RefundReason {
        Cancelled, // the requester cancelled an unassigned job
        Expired, // the deadline passed without a result
        InvalidInput, // the accepted result says the input does not fit the model
        Rejected, // the result was found invalid and no attempt is left
        Undecided // a committee could not decide, or a quorum found no majority
    }

    /// @notice Thrown when no job has this id.
    error UnknownJob(uint256 jobId);
    /// @notice Thrown when a job is not in the status the call needs.
    error JobNotInStatus(uint256 jobId, Status status);
    /// @notice Thrown when a call needs another verification mode.
    error WrongMode(uint256 jobId, Mode mode);
    /// @notice Thrown when the caller is not an executor the job is assigned to.
    error NotAssignedExecutor(uint256 jobId, address caller);
    /// @notice Thrown when the caller is not the job's requester.
    error NotRequester(uint256 jobId, address caller);
    /// @notice Thrown when a call comes after the current phase ended.
    error PhaseOver(uint256 jobId, uint32 phaseEnd);
    /// @notice Thrown when a call needs the current phase to have ended.
    error PhaseNotOver(uint256 jobId, uint32 phaseEnd);
    /// @notice Thrown when a deadline is too close or too far.
    error DeadlineOutOfRange(uint32 deadline, uint256 earliest, uint256 latest);
    /// @notice Thrown when a fee would need more collateral than `MAX_COLLATERAL`.
    error FeeAboveCollateralCap(uint96 fee, uint96 maxCollateral);
    /// @notice Thrown when a fee is below the protocol's floor.
    error FeeBelowProtocolMinimum(uint96 fee, uint96 minimum);
    /// @notice Thrown when an OPTIMISTIC fee would not fund its expected audit: the verifiers' share
    ///         of the fee must cover audit rate x the committee's audit cost (DisputeManager.auditCost).
    error FeeBelowAuditCost(uint96 fee, uint256 minimum);
    /// @notice Thrown when a model's declared runtime, with the challenge or reveal window after it,
    ///         would not fit in half the unbonding period.
    error RuntimeTooLong(uint32 runtime, uint256 maximum);
    /// @notice Thrown when a requested audit rate is above the protocol's cap, or given for a mode
    ///         that is never audited.
    error AuditRateNotOffered(uint16 rateBps, uint16 maximum);
    /// @notice Thrown when a request gives its input both inline and by reference.
    error InputBothInlineAndByReference();
    /// @notice Thrown when a request has no input: give input bytes, or inputHash, inputURI and inputSize.
    error InputMissing();
    /// @notice Thrown when an inline input or output exceeds what calldata may carry here.
    error InlineTooLarge(uint256 size, uint256 maximum);
    /// @notice Thrown when an output is empty.
    error EmptyOutput();
    /// @notice Thrown when a callback gas limit is above `MAX_CALLBACK_GAS` or set without a callback.
    error InvalidCallbackGas(address callback, uint256 gasLimit);
    /// @notice Thrown when `deliver` finds no callback to run (none was asked for, or it already ran).
    error NothingToDeliver(uint256 jobId);
    /// @notice Thrown when the output given to `deliver` does not hash to the job's output hash.
    error OutputMismatch(uint256 jobId, bytes32 outputHash);
    /// @notice Thrown when a call that runs a callback has too little gas left to honour its cap.
    error InsufficientGasForCallback(uint256 available, uint256 required);
    /// @notice Thrown when `startAudit` is called on a job the lottery did not pick.
    error NotSelectedForAudit(uint256 jobId);
    /// @notice Thrown when the audit coin is not known yet (block `auditTarget` has not passed).
    error AuditSeedUnavailable(uint256 jobId, uint256 auditTarget);
    /// @notice Thrown when an executor draw's randomness is not known yet (wait for block `target`
    ///         to pass), or, for `cancel`, when it is known already (the job must be assigned).
    error DrawNotReady(uint256 jobId, uint256 target);
    /// @notice Thrown when a job is not in a challengeable state (Submitted, inside its window).
    error NotChallengeable(uint256 jobId);
    /// @notice Thrown when a model's resolver is not (or no longer) allowed by governance.
    error ResolverNotAllowed(address resolver);
    /// @notice Thrown when no result verifier is registered for ATTESTED jobs.
    error NoResultVerifier();
    /// @notice Thrown when the result verifier rejects a proof.
    error ProofRejected(uint256 jobId);

    /// @notice Emitted when a job is requested; carries everything a node needs to run it, and the
    ///         model's policy version it pinned (verifiers judge it by `ModelRegistry.policyAt`).
    event JobRequested(
        uint256 indexed jobId,
        address indexed requester,
        uint256 indexed modelId,
        RequestParams params,
        bytes32 inputHash,
        uint16 policyVersion
    );
    /// @notice Emitted when executors are assigned; `phaseEnd` is their deadline.
    event JobAssigned(uint256 indexed jobId, address[] executors, uint32 phaseEnd, uint8 attempt);
    /// @notice Emitted when a job's next executor draw is armed: anyone may `assign` once block
    ///         `drawTarget` has passed (its randomness decides the draw; nobody knows it before).
    event DrawArmed(uint256 indexed jobId, uint64 drawTarget);
    /// @notice Emitted when a draw assigned nobody (its snapshot was empty or expired, or too many
    ///         drawn seats were forfeited); the attempt counts, and the draw is armed again if
    ///         attempts and time are left, else the fee goes back.
    event JobUnassigned(uint256 indexed jobId);
    /// @notice Emitted when a third-party resolver did not answer within the default committee's
    ///         dispute window: the dispute ends Undecided without it.
    event ResolverLapsed(uint256 indexed jobId, address resolver);
    /// @notice Emitted when a drawn executor cannot serve its seat (jailed, under the minimum stake
    ///         or without the collateral free): it pays `penalty` to the treasury and the seat stays
    ///         empty (it never passes to another node).
    event SeatForfeited(uint256 indexed jobId, address indexed executor, uint256 penalty);
    /// @notice Emitted when an executor posts a result (NONE, OPTIMISTIC, ATTESTED).
    event ResultSubmitted(
        uint256 indexed jobId,
        address indexed executor,
        bytes32 outputHash,
        bytes output,
        string outputURI,
        uint32 challengeEnd
    );
    /// @notice Emitted when the audit lottery sends a result to a committee.
    event AuditStarted(uint256 indexed jobId, uint256 indexed disputeId);
    /// @notice Emitted when a result goes before a committee (challenge or audit).
    event JobDisputed(uint256 indexed jobId);
    /// @notice Emitted when the DisputeManager hands a disputed job back with its verdict.
    event DisputeSettled(uint256 indexed jobId, Verdict verdict);
    /// @notice Emitted when a job's result is accepted; the PaymentVault's FeePaid shows the split.
    event JobFinalized(uint256 indexed jobId, bytes32 outputHash);
    /// @notice Emitted when a job's fee is credited back to its requester.
    event JobRefunded(uint256 indexed jobId, RefundReason reason, uint256 amount);
    /// @notice Emitted when an executor's whole collateral for a job is taken after an Invalid verdict.
    event CollateralSlashed(uint256 indexed jobId, address indexed executor, uint256 amount);
    /// @notice Emitted when an executor misses its deadline and is slashed.
    event JobTimedOut(uint256 indexed jobId, address indexed executor, uint256 slashed);
    /// @notice Emitted after a callback ran; `success` is false when it reverted or ran out of gas.
    event CallbackExecuted(uint256 indexed jobId, address indexed callback, bool success);
    /// @notice Emitted when governance allows or forbids a dispute resolver.
    event ResolverAllowed(address indexed resolver, bool allowed);
    /// @notice Emitted when governance sets the parameters.
    event ParamsSet(Params params);
    /// @notice Emitted when governance sets the ATTESTED-mode verifier.
    event ResultVerifierSet(address verifier);

    /// @notice Requests an inference and escrows `params.fee` (the caller must have approved this contract).
    /// @return jobId The new job's id, counted from 1.
    function requestInference(RequestParams calldata params) external returns (uint256 jobId);

    /// @notice Requests an inference, approving the fee with an EIP-2612 permit.
    function requestInferenceWithPermit(
        RequestParams calldata params,
        uint256 permitDeadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external returns (uint256 jobId);

    /// @notice Runs a finished job's callback, once: the requester's contract (or anyone, paying the
    ///         gas) pulls the result. Finalization never calls out, so a callback can neither block
    ///         a job nor cost its executor. `output` is needed when the chain did not store the bytes
    ///         (QUORUM: from the QuorumManager's ResultRevealed; by reference: may be left empty, but
    ///         only by the requester or its callback contract) and
    ///         must hash to the job's output hash; for an inline output it is ignored. The callback
    ///         gets at most the job's `callbackGasLimit`, and the call reverts unless that much is left.
    function deliver(uint256 jobId, bytes calldata output) external;

    /// @notice Draws the executor(s) of an Unassigned job from the randomness of its draw target
    ///         (`DrawArmed`), once that block has passed; re-arms the draw when that randomness can
    ///         no longer be read or too few executors have the collateral free. Anyone may call
    ///         (executor nodes and the requester do so at once), before the deadline.
    function assign(uint256 jobId) external;

    /// @notice The assigned executor posts the canonical output bytes. A two-byte output
    ///         `0x00 reason` claims that the input does not fit the model (reason codes in docs).
    function submitResult(uint256 jobId, bytes calldata output) external;

    /// @notice The assigned executor posts a large output by hash and URI.
    function submitResultRef(uint256 jobId, bytes32 outputHash, string calldata outputURI) external;

    /// @notice The assigned executor posts an output with a proof for the ATTESTED verifier.
    function submitAttestedResult(uint256 jobId, bytes calldata output, bytes calldata proof) external;

    /// @notice Sends a result that the audit coin picked to its resolver. Anyone may call, once
    ///         the coin is known (see `auditSelected`), while the result is Submitted.
    function startAudit(uint256 jobId) external returns (uint256 disputeId);

    /// @notice Challenges the OPTIMISTIC result of `jobId` inside its challenge window: the job's
    ///         pinned resolver opens a dispute (the default committee needs the caller to be an
    ///         eligible staked verifier other than the executor) and the hub collects the
    ///         resolver's bond from the caller, who must have approved this contract for it.
    /// @return disputeId The resolver's dispute id.
    function challenge(uint256 jobId) external returns (uint256 disputeId);

    /// @notice Ends the dispute of `jobId` once its resolver can decide it, and acts on the
    ///         verdict: Valid pays the job; Invalid takes the executor's whole collateral (at most
    ///         the resolver's bounty of it to the challenger, the rest to the treasury) and
    ///         reassigns or refunds the job; Undecided refunds it. Anyone may call.
    /// @return verdict The resolver's verdict.
    function resolveDispute(uint256 jobId) external returns (Verdict verdict);

    /// @notice Allows or forbids a dispute resolver for new jobs (jobs already requested keep the
    ///         one they pinned). Governance only.
    function setResolverAllowed(address resolver, bool allowed) external;

    /// @notice Whether governance allows `resolver` (the default committee is always allowed).
    function resolverAllowed(address resolver) external view returns (bool);

    /// @notice The resolver that judges `jobId`'s disputes, pinned at its request.
    function resolverOf(uint256 jobId) external view returns (address);

    /// @notice The parameters `jobId` was requested under (later changes never apply to it).
    function paramsOf(uint256 jobId) external view returns (Params memory);

    /// @notice Moves a job on once its phase is over: pays an unchallenged OPTIMISTIC result (or
    ///         sends it to audit if the lottery picked it), tallies a QUORUM round (in the
    ///         QuorumManager) and pays its majority. Calls no callback. Anyone may call.
    function finalize(uint256 jobId) external;

    /// @notice Slashes an executor that missed its deadline and reassigns or refunds the job. Anyone may call.
    function timeout(uint256 jobId) external;

    /// @notice The requester takes back the fee of an Unassigned job while its draw's randomness is
    ///         not known yet (never once it could compute the draw), or after the deadline. An
    ///         assigned job whose executor missed its phase ends through `timeout` (refunded once no
    ///         attempt or time before the deadline is left); an expired QUORUM job through `finalize`.
    function cancel(uint256 jobId) external;

    /// @notice A job's state.
    function jobOf(uint256 jobId) external view returns (Job memory);

    /// @notice A job's result: readable on-chain whatever its callback did.
    /// @return status The job's status.
    /// @return outputHash keccak256 of the output bytes (zero until a result exists).
    /// @return output The canonical output bytes (empty when given by reference).
    /// @return outputURI Where a by-reference output can be fetched.
    function resultOf(
        uint256 jobId
    ) external view returns (Status status, bytes32 outputHash, bytes memory output, string memory outputURI);

    /// @notice The audit coin of an OPTIMISTIC result: `known` is false until the randomness of its
    ///         target block is known; a coin whose randomness can no longer be read is `selected`.
    function auditSelected(uint256 jobId) external view returns (bool known, bool selected);

    /// @notice What protects a job: the collateral each executor locks, the audit probability of an
    ///         OPTIMISTIC result (basis points: the larger of its pinned policy's rate and the rate
    ///         its requester bought; zero in other modes) and the committee size that
    ///         judges a dispute (zero where no dispute can happen).
    function securityOf(
        uint256 jobId
    ) external view returns (uint96 collateral, uint16 auditRateBps, uint8 committeeSize);

    /// @notice The current parameters.
    function params() external view returns (Params memory);

    /// @notice How many jobs exist; ids run from 1 to this number.
    function jobCount() external view returns (uint256);

    /// @notice The least collateral locked on each executor of each job (see `CollateralTerms`).
    // solhint-disable-next-line func-name-mixedcase
    function EXECUTOR_COLLATERAL() external view returns (uint96);

    /// @notice Collateral per unit of fee, in basis points (see `CollateralTerms`).
    // solhint-disable-next-line func-name-mixedcase
    function COLLATERAL_MULTIPLE_BPS() external view returns (uint32);

    /// @notice The most collateral one executor locks for one job (see `CollateralTerms`).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_COLLATERAL() external view returns (uint96);
}
