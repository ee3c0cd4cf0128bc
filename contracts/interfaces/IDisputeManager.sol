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

    /// @notice Emitted when a committee is drawn for a job's result; `challenger` is zero for an audit.
    event DisputeOpened(
        uint256 indexed disputeId,
        uint256 indexed jobId,
        address indexed challenger,
        address[] committee,
        uint32 commitEnd,
        uint32 revealEnd
    );
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

    /// @notice The current parameters.
    function params() external view returns (Params memory);
}
