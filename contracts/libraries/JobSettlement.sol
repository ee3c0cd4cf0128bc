// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IGlassboxErrors} from "../interfaces/IGlassboxErrors.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {IPaymentVault} from "../interfaces/IPaymentVault.sol";
import {IInferenceCallback} from "../interfaces/IInferenceCallback.sol";
import {IQuorumManager} from "../interfaces/IQuorumManager.sol";
import {IRandomnessSource, RandomnessStatus} from "../interfaces/IRandomnessSource.sol";
import {IDisputeResolver} from "../interfaces/IDisputeResolver.sol";
import {IDisputeManager} from "../interfaces/IDisputeManager.sol";
import {Role, Status, Verdict} from "../types/Types.sol";

/// @title JobSettlement
/// @notice The JobRegistry's colder paths, run in the hub's own storage and context: delivering a
///         finished job's result to its callback, and the collateral side of a QUORUM tally. A
///         linked library (its functions are `public`, reached by DELEGATECALL), so that the hub
///         keeps room under the contract size limit; every state it touches is the hub's, and it
///         emits the hub's events.
library JobSettlement {
    /// @notice Gas kept back for the bookkeeping after a callback returns.
    uint256 internal constant CALLBACK_RESERVE = 20_000;

    /// @notice What a QUORUM tally needs besides the job: the satellites it calls, each member's
    ///         locked collateral and the majority's share of what is taken (the rest to the treasury).
    struct QuorumTerms {
        IQuorumManager quorum;
        IStakeManager stakes;
        IPaymentVault vault;
        uint96 collateral;
        uint16 winnerShareBps;
    }

    /// @notice What an executor draw needs besides the job.
    struct AssignTerms {
        IStakeManager stakes;
        IQuorumManager quorum;
        IPaymentVault vault;
        uint96 collateral; // locked on each seat drawn
        uint96 absencePenalty; // taken from a drawn node that cannot serve its seat (to the treasury)
        uint8 seats; // executors to draw (the quorum size for QUORUM, else 1)
        uint32 executionWindow;
        uint32 revealWindow;
    }

    /// @notice Draws `t.seats` executor seats of `job` from `randomness` (its draw target's value),
    ///         from the pool of executors that opted in to its model, with replacement and by stake
    ///         as it stood when the draw was armed (the stake epoch
    ///         of `job.phaseEnd`, which holds the arming time while the job is Unassigned),
    ///         excluding its previous executor, and locks each seat's collateral. Every draw read
    ///         counts as an attempt. A drawn node that cannot serve (jailed, under the minimum, or
    ///         without the collateral free) forfeits its seat and pays `t.absencePenalty`; its seat
    ///         passes to nobody. The job is Assigned when its single seat, or a QUORUM majority of
    ///         seats, is served; otherwise it is left Unassigned (the hub re-arms or refunds).
    /// @return assigned Whether the job is now Assigned.
    function assignExecutors(
        IJobRegistry.Job storage job,
        uint256 jobId,
        bytes32 randomness,
        AssignTerms memory t
    ) public returns (bool assigned) {
        address[] memory holders = _drawSeats(job, jobId, randomness, t);
        if (holders.length < t.seats) {
            emit IJobRegistry.JobUnassigned(jobId);
            return false;
        }
        address[] memory served = _lockSeats(jobId, holders, t);
        // A single seat must be served; a QUORUM round needs a majority of its seats able to agree.
        if (served.length * 2 <= t.seats) {
            for (uint256 i = 0; i < served.length; ++i) t.stakes.unlock(served[i], Role.EXECUTOR, t.collateral);
            emit IJobRegistry.JobUnassigned(jobId);
            return false;
        }
        // INVARIANT: the execution phase is the protocol's full window, whatever the requester's
        // deadline says, so a requester cannot shorten it and have an executor slashed for missing it.
        // solhint-disable-next-line not-rely-on-time
        uint32 phaseEnd = uint32(block.timestamp) + t.executionWindow;
        job.executor = served[0];
        job.phaseEnd = phaseEnd;
        job.status = Status.Assigned;
        emit IJobRegistry.JobAssigned(jobId, served, phaseEnd, job.attempts);
        if (t.seats > 1) t.quorum.open(jobId, served, t.seats, phaseEnd, t.revealWindow);
        return true;
    }

    /// @notice Tallies `job`'s QUORUM round (the QuorumManager enforces its timing), settles the
    ///         members' collateral (see `settleQuorumCollateral`) and records the winning hash (the
    ///         bytes stay in the QuorumManager's ResultRevealed, so this costs the same whatever
    ///         the output's size). The hub then pays `winners` or refunds for `reason`.
    /// @return pay Whether a majority output stands and the fee is paid to `winners`.
    /// @return reason Why the fee goes back when it is not paid.
    /// @return winners The majority.
    function tallyQuorum(
        IJobRegistry.Job storage job,
        uint256 jobId,
        QuorumTerms memory t
    ) public returns (bool pay, IJobRegistry.RefundReason reason, address[] memory winners) {
        bytes32 winner;
        bool invalidClaim;
        address[] memory losers;
        address[] memory absent;
        (winner, invalidClaim, winners, losers, absent) = t.quorum.tally(jobId);
        _settleQuorumCollateral(jobId, winner != bytes32(0), winners, losers, absent, t);
        if (winner == bytes32(0)) {
            reason = losers.length == 0 ? IJobRegistry.RefundReason.Expired : IJobRegistry.RefundReason.Undecided;
            return (false, reason, winners);
        }
        job.outputHash = winner;
        job.executor = winners[0];
        job.invalidClaim = invalidClaim;
        return (!invalidClaim, IJobRegistry.RefundReason.InvalidInput, winners);
    }

    /// @notice Moves a Submitted `job` into dispute and has its pinned `resolver` open the round.
    ///         Only the default committee's bond goes through the vault (it alone credits it
    ///         back); a third-party resolver takes its own bond, if any (zero is returned, so
    ///         nothing is left in the vault unowned), and must answer by `job.phaseEnd` (see
    ///         `verdictOf`): at least the default committee's dispute window from now, at most
    ///         its own `disputeWindow()`, and never past the job's deadline beyond that.
    /// @param outputHash The keccak256 of the job's posted output (the hub's `_outputHash`).
    /// @return disputeId The resolver's dispute id.
    /// @return bond What the hub collects from the challenger into the vault.
    function openDispute(
        IJobRegistry.Job storage job,
        uint256 jobId,
        address challenger,
        IDisputeResolver resolver,
        IDisputeManager disputes,
        bytes32 outputHash
    ) public returns (uint256 disputeId, uint96 bond) {
        job.status = Status.Disputed;
        emit IJobRegistry.JobDisputed(jobId);
        bytes32 jobDigest = keccak256(abi.encode(job.version, job.inputHash, outputHash));
        (disputeId, bond) = resolver.open(jobId, job.modelId, job.executor, challenger, jobDigest);
        if (address(resolver) != address(disputes)) {
            bond = 0;
            job.phaseEnd = uint32(thirdPartyDeadline(resolver.disputeWindow(), disputes.disputeWindow(), job.deadline));
        }
    }

    /// @notice When a third-party resolver must have answered a dispute opened now: its own window,
    ///         but at least the committee's (`floor`) and, beyond that, never past the job's deadline.
    /// @param window The resolver's `disputeWindow()`.
    /// @param floor The default committee's `disputeWindow()`.
    /// @param deadline The job's deadline.
    /// @return end The time after which the dispute ends Undecided without the resolver.
    function thirdPartyDeadline(uint256 window, uint256 floor, uint256 deadline) public view returns (uint256 end) {
        // solhint-disable-next-line not-rely-on-time
        uint256 now_ = block.timestamp;
        // INVARIANT: a third-party resolver holds a job at most until its deadline (or the committee's
        // window, when that is later): a game that cannot end in time ends Undecided and refunds the
        // requester, and no resolver can hold a job or its collateral for good.
        end = now_ + window;
        if (end > deadline) end = deadline;
        if (end < now_ + floor) end = now_ + floor;
    }

    /// @notice The verdict on `job`'s dispute from its pinned `resolver`. A third-party resolver
    ///         must answer by `job.phaseEnd` (the default committee's dispute window from the
    ///         opening): after that the dispute is Undecided without it, and its bounty is capped at
    ///         the default committee's. The default committee (`disputes`) is always asked.
    /// @return verdict The verdict.
    /// @return challenger Who challenged (zero for an audit).
    /// @return bounty The most of the collateral the challenger receives on Invalid.
    function verdictOf(
        IJobRegistry.Job storage job,
        uint256 jobId,
        IDisputeResolver resolver,
        IDisputeManager disputes
    ) public returns (Verdict verdict, address challenger, uint96 bounty) {
        bool thirdParty = address(resolver) != address(disputes);
        // INVARIANT: a third-party resolver answers by the job's phaseEnd (thirdPartyDeadline) or the
        // dispute ends Undecided without it: no resolver can hold a job or its collateral for good.
        // (The DisputeManager always answers once its own window is over.)
        // solhint-disable-next-line not-rely-on-time
        if (thirdParty && block.timestamp > job.phaseEnd) {
            emit IJobRegistry.ResolverLapsed(jobId, address(resolver));
            return (Verdict.Undecided, address(0), 0);
        }
        (verdict, challenger, bounty) = resolver.resolve(jobId);
        // INVARIANT: a third-party resolver's bounty is at most the default committee's, so the
        // share of a slash a cheater's sybil can win back is what the economics assume.
        if (thirdParty) {
            uint96 cap = disputes.bounty();
            if (bounty > cap) bounty = cap;
        }
    }

    /// @notice Runs `job`'s callback once with its result (see IJobRegistry.deliver).
    /// @param job The job, in the hub's storage.
    /// @param jobId Its id.
    /// @param outputHash The hash the job ended with.
    /// @param stored The inline output the hub stored (empty for QUORUM and by-reference outputs).
    /// @param byReference Whether the output was posted by reference.
    /// @param output The output bytes the caller brings (checked against `outputHash`).
    /// @param gasLimit The callback's gas cap.
    function deliver(
        IJobRegistry.Job storage job,
        uint256 jobId,
        bytes32 outputHash,
        bytes storage stored,
        bool byReference,
        bytes calldata output,
        uint256 gasLimit
    ) public {
        address target = job.callback;
        // INVARIANT: a result is delivered once, and only once the job has ended with one.
        if (target == address(0)) revert IJobRegistry.NothingToDeliver(jobId);
        bool valid = job.status == Status.Finalized;
        if (!valid && !(job.status == Status.Refunded && job.invalidClaim)) {
            revert IJobRegistry.JobNotInStatus(jobId, job.status);
        }
        bytes memory out = stored;
        // An output the chain did not store (QUORUM, or by reference) is given by the caller and
        // checked against the hash the job ended with; a by-reference one may be left empty.
        if (out.length == 0) {
            if (output.length != 0 || !byReference) {
                if (keccak256(output) != outputHash) revert IJobRegistry.OutputMismatch(jobId, outputHash);
                out = output;
            } else if (msg.sender != job.requester && msg.sender != target) {
                // INVARIANT: only the requester or its consumer may use up a by-reference delivery
                // without the bytes; anyone else must bring them (so nobody can front-run it empty).
                revert IGlassboxErrors.UnauthorizedCaller(msg.sender);
            }
        }
        job.callback = address(0);
        // Encode first: copying a large output costs gas that must not come out of the callback's cap.
        bytes memory data = abi.encodeCall(IInferenceCallback.onInferenceResult, (jobId, valid, outputHash, out));
        // EIP-150 forwards at most 63/64 of what is left: require enough for the full cap, so that
        // nobody can make a callback fail on purpose by starving it.
        uint256 required = (gasLimit * 64) / 63 + CALLBACK_RESERVE;
        if (gasleft() < required) revert IJobRegistry.InsufficientGasForCallback(gasleft(), required);
        bool success;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // A plain CALL that copies no return data: a callee cannot make us pay for a huge
            // return buffer. `data` is a live memory bytes array: its length is at `data`.
            success := call(gasLimit, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
        emit IJobRegistry.CallbackExecuted(jobId, target, success);
    }

    /// @dev Spends an attempt and draws its seats (see `assignExecutors`); fewer than `t.seats`
    ///      holders when the snapshot is empty or no longer readable.
    function _drawSeats(
        IJobRegistry.Job storage job,
        uint256 jobId,
        bytes32 randomness,
        AssignTerms memory t
    ) private returns (address[] memory holders) {
        address previous = job.executor;
        address[] memory exclude = new address[](previous == address(0) ? 0 : 1);
        if (previous != address(0)) exclude[0] = previous;
        uint8 attempt = job.attempts + 1;
        job.attempts = attempt;
        bytes32 seed = keccak256(abi.encode(randomness, jobId, attempt, address(this), block.chainid));
        // INVARIANT: the draw reads the stake snapshot of the epoch the draw was armed in, fixed
        // before its randomness was known: nothing staked, unstaked or slashed since moves a seat.
        uint32 epoch = uint32(job.phaseEnd / t.stakes.EPOCH_LENGTH());
        bool ok;
        (ok, holders) = t.stakes.drawSeats(Role.EXECUTOR, job.modelId, epoch, seed, t.seats, exclude);
        if (!ok) holders = new address[](0);
    }

    /// @dev Locks each drawn seat's collateral; a holder who cannot serve forfeits the seat and pays
    ///      the absence penalty from its free or unbonding stake, to the treasury (the requester,
    ///      who chose nothing here, gains nothing from it). Returns the seats served.
    function _lockSeats(
        uint256 jobId,
        address[] memory holders,
        AssignTerms memory t
    ) private returns (address[] memory served) {
        served = new address[](holders.length);
        uint256 count;
        for (uint256 i = 0; i < holders.length; ++i) {
            address holder = holders[i];
            if (t.stakes.lockSeat(holder, Role.EXECUTOR, t.collateral)) {
                served[count++] = holder;
                continue;
            }
            uint256 slashed = t.stakes.slash(holder, Role.EXECUTOR, t.absencePenalty, address(t.vault));
            t.vault.settleSlash(jobId, slashed, address(0), 0);
            emit IJobRegistry.SeatForfeited(jobId, holder, slashed);
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Shrinks the array to the seats served; count <= holders.length, so this only shortens it.
            mstore(served, count)
        }
    }

    /// @dev The collateral side of a QUORUM tally: the majority's collateral is released, the
    ///      absent members' is always taken, the dissenters' only when a majority proved them
    ///      wrong (released otherwise); what is taken is split among the majority.
    function _settleQuorumCollateral(
        uint256 jobId,
        bool decided,
        address[] memory winners,
        address[] memory losers,
        address[] memory absent,
        QuorumTerms memory t
    ) private {
        for (uint256 i = 0; i < winners.length; ++i) t.stakes.unlock(winners[i], Role.EXECUTOR, t.collateral);
        uint256 pot;
        for (uint256 i = 0; i < absent.length; ++i) {
            pot += t.stakes.slashLocked(absent[i], Role.EXECUTOR, t.collateral, address(t.vault));
        }
        for (uint256 i = 0; i < losers.length; ++i) {
            if (decided) pot += t.stakes.slashLocked(losers[i], Role.EXECUTOR, t.collateral, address(t.vault));
            else t.stakes.unlock(losers[i], Role.EXECUTOR, t.collateral);
        }
        if (pot != 0) t.vault.distribute(jobId, pot, t.winnerShareBps, winners);
    }

    /// @notice Takes `penalty` of `executor`'s locked `collateral` for job `jobId` and releases the
    ///         rest: at most `bounty` of what is taken goes to `challenger` (zero: none), the rest to
    ///         the treasury, so a cheater's sybils can win back at most the bounty.
    /// @return slashed What was taken.
    function takeCollateral(
        uint256 jobId,
        address executor,
        uint96 collateral,
        uint96 penalty,
        address challenger,
        uint96 bounty,
        IStakeManager stakes,
        IPaymentVault vault
    ) public returns (uint256 slashed) {
        if (collateral > penalty) stakes.unlock(executor, Role.EXECUTOR, collateral - penalty);
        slashed = stakes.slashLocked(executor, Role.EXECUTOR, penalty, address(vault));
        vault.settleSlash(jobId, slashed, challenger, bounty);
    }

    /// @notice The audit coin of an OPTIMISTIC result: selected with probability `rateBps` / 10,000
    ///         from the randomness of block `target` (fixed at submission, after it).
    /// @return known False while the randomness is not known yet.
    /// @return selected Whether the result goes to audit; a coin that can no longer be read is
    ///         selected, so nobody gains by letting it be lost.
    function auditCoin(
        address randomness,
        uint64 target,
        uint256 jobId,
        uint16 rateBps
    ) public view returns (bool known, bool selected) {
        if (rateBps == 0) return (true, false);
        (RandomnessStatus status, bytes32 value) = IRandomnessSource(randomness).randomnessOf(target);
        if (status == RandomnessStatus.Pending) return (false, false);
        // INVARIANT: an audit coin that can no longer be read means the job is audited, so an
        // executor gains nothing by letting it be lost (it records it: IRandomnessSource.record).
        if (status == RandomnessStatus.Lost) return (true, true);
        selected = uint256(keccak256(abi.encode(value, jobId, "audit"))) % 10_000 < rateBps;
        return (true, selected);
    }
}
