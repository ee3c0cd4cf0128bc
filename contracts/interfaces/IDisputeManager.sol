// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Verdict} from "../types/Types.sol";
import {IGoverned} from "./IGoverned.sol";
import {IDisputeResolver} from "./IDisputeResolver.sol";

/// @title IDisputeManager
/// @notice Challenges, audits and the committees that judge them. Any eligible staked verifier may
///         challenge an OPTIMISTIC result within its window by putting up a bond; the audit
///         lottery sends other results to a committee unasked. A committee is drawn by verifier
///         stake, excluding the executor and the challenger; its members commit to a verdict and
///         later reveal it. A commitment is keccak256(abi.encode(voter, jobId, disputeId, verdict,
///         salt, chainid, this)): it binds the voter, so a copied commitment cannot be revealed by
///         anyone else, nor replayed in another dispute, deployment or chain. `resolve` slashes the
///         losing side, pays the winners through the PaymentVault and hands the job back to the
///         JobRegistry. This contract holds no tokens.
interface IDisputeManager is IDisputeResolver, IGoverned {
    /// @notice One dispute. Slot 0: the windows and counters. Slot 1: the challenger and its bond.
    struct Dispute {
        uint32 commitEnd; // votes can be committed until then
        uint32 revealEnd; // and revealed until then
        uint8 seats; // committee size actually drawn
        uint8 commits;
        uint8 validVotes;
        uint8 invalidVotes;
        bool resolved;
        address challenger; // zero for an audit
        uint96 bond;
        uint256 jobId;
        address executor;
        bool drawn; // the committee has been drawn (commitEnd and revealEnd are set then)
        uint64 drawTarget; // the randomness target the draw waits for
        uint32 snapshotEpoch; // the stake epoch whose opening stakes the draw uses
        uint32 openedAt; // the committee must be drawn by openedAt + commitWindow
    }

    /// @notice Governance parameters, each bounded where it is set.
    struct Params {
        uint8 committeeSize; // seats per committee, 1..MAX_COMMITTEE
        uint32 commitWindow; // commit phase length
        uint32 revealWindow; // reveal phase length
        uint16 winnerShareBps; // share of the slashed pot paid to the winning side; the rest to the treasury
        uint96 challengeBond; // what a challenger puts up
        uint96 voterSlash; // taken from a member on the losing side or who did not reveal
        uint96 auditReward; // paid from the model's audit pot to each member on the winning side (any revealer on a tie)
        uint96 bounty; // the most a challenger proved right gets of the executor's collateral (<= challengeBond)
    }

    /// @notice Thrown when a job is not in a challengeable state (Submitted, inside its window).
    error NotChallengeable(uint256 jobId);
    /// @notice Thrown when the challenger is not an eligible staked verifier, or is the executor.
    error NotStakedVerifier(address caller);
    /// @notice Thrown when a job has no open dispute.
    error NoOpenDispute(uint256 jobId);
    /// @notice Thrown when a dispute id is unknown.
    error UnknownDispute(uint256 disputeId);
    /// @notice Thrown when the caller holds no seat on the committee.
    error NotOnCommittee(uint256 disputeId, address caller);
    /// @notice Thrown when a revealed verdict is `Undecided`.
    error InvalidVerdict();
    /// @notice Thrown when a committee is drawn a second time, or after its dispute was resolved.
    error CommitteeAlreadyDrawn(uint256 disputeId);
    /// @notice Thrown when the draw's randomness is not known yet (wait for block `target` to pass).
    error DrawNotReady(uint256 disputeId, uint64 target);
    /// @notice Thrown when the pin window ended before the committee was drawn (the dispute can
    ///         only be resolved Undecided now).
    error DrawExpired(uint256 disputeId, uint32 deadline);

    /// @notice Emitted when a dispute opens; `challenger` is zero for an audit. Its committee is drawn
    ///         later (`drawCommittee`) from the randomness of block `drawTarget` and the verifiers'
    ///         stakes as they stood when `snapshotEpoch` began.
    event DisputeOpened(
        uint256 indexed disputeId,
        uint256 indexed jobId,
        address indexed challenger,
        uint64 drawTarget,
        uint32 snapshotEpoch
    );
    /// @notice Emitted when a dispute's committee is drawn: `members` are the distinct seat holders
    ///         (a member may hold several of the `seats`; see `seatsOf`).
    event CommitteeDrawn(
        uint256 indexed disputeId,
        uint256 indexed jobId,
        address[] members,
        uint256 seats,
        uint32 commitEnd,
        uint32 revealEnd
    );
    /// @notice Emitted when a draw's randomness could no longer be read and a new target is set.
    event DrawRearmed(uint256 indexed disputeId, uint64 drawTarget, uint8 rearms);
    /// @notice Emitted when a member commits to a verdict.
    event VoteCommitted(uint256 indexed disputeId, address indexed voter);
    /// @notice Emitted when a member reveals its verdict.
    event VoteRevealed(uint256 indexed disputeId, address indexed voter, Verdict verdict);
    /// @notice Emitted when a dispute is resolved; `pot` is what was slashed or forfeited.
    event DisputeResolved(
        uint256 indexed disputeId,
        uint256 indexed jobId,
        Verdict verdict,
        uint8 validVotes,
        uint8 invalidVotes,
        uint256 pot
    );
    /// @notice Emitted when governance sets the parameters.
    event ParamsSet(Params params);
    /// @notice Emitted once, when the JobRegistry is wired in.
    event HubSet(address hub);

    /// @notice Draws the committee of `disputeId` once its randomness is known. Anyone may call
    ///         (the challenger and the verifier nodes do so at once): the seats follow from the
    ///         randomness and the stake snapshot alone. If the randomness can no longer be read
    ///         (nobody pinned in time) a new target is set and nothing is drawn. The commit phase
    ///         starts now.
    /// @return members The distinct seat holders (empty on a re-arm).
    function drawCommittee(uint256 disputeId) external returns (address[] memory members);

    /// @notice Seats `voter` holds in `disputeId`'s committee (zero: not a member).
    function seatsOf(uint256 disputeId, address voter) external view returns (uint8);

    /// @notice Commits the caller's vote: keccak256(abi.encode(voter, jobId, disputeId, verdict, salt, chainid, this)).
    function commitVote(uint256 disputeId, bytes32 commitment) external;

    /// @notice Reveals the caller's committed vote. Open once every member committed or the commit phase ended.
    function revealVote(uint256 disputeId, Verdict verdict, bytes32 salt) external;

    /// @notice The commitment a voter must submit, for off-chain use and tests.
    function commitmentOf(
        address voter,
        uint256 disputeId,
        Verdict verdict,
        bytes32 salt
    ) external view returns (bytes32);

    /// @notice One dispute.
    function disputeOf(uint256 disputeId) external view returns (Dispute memory);

    /// @notice The committee of a dispute.
    function committeeOf(uint256 disputeId) external view returns (address[] memory);

    /// @notice A member's commitment and revealed verdict (Undecided until revealed).
    function ballotOf(uint256 disputeId, address voter) external view returns (bytes32 commitment, Verdict revealed);

    /// @notice The id of the latest dispute of a job (zero when none).
    function disputeOfJob(uint256 jobId) external view returns (uint256);

    /// @notice What one audit can cost the model's audit pot: `committeeSize` x `auditReward` (every
    ///         seat paid). The hub's fee floor for OPTIMISTIC jobs judged by this committee is
    ///         audit rate x this / the verifiers' fee share, so a model's jobs fund their own audits.
    function auditCost() external view returns (uint256);

    /// @notice The most of a slashed collateral a challenger proved right receives (`params().bounty`);
    ///         the hub also caps a third-party resolver's bounty at it.
    function bounty() external view returns (uint96);

    /// @notice The current parameters.
    function params() external view returns (Params memory);
}
