// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGlassboxErrors} from "./IGlassboxErrors.sol";

/// @title IQuorumManager
/// @notice The commit-reveal round of a QUORUM job: k executors commit to the hash of their output,
///         then reveal it; the hash revealed by a strict majority of the k seats wins. A commitment
///         is keccak256(abi.encode(executor, jobId, keccak256(output), salt)), so it binds its
///         author and cannot be copied by another member. This contract holds no tokens: the
///         JobRegistry pays and slashes from `tally`'s answer.
interface IQuorumManager is IGlassboxErrors {
    /// @notice One round. Fits one slot.
    struct Round {
        uint32 commitEnd; // commitments close then, or when every seat has committed
        uint32 revealEnd; // zero until the reveal phase starts
        uint32 revealWindow; // reveal phase length
        uint8 seats;
        uint8 commits;
        uint8 reveals;
        bool tallied;
    }

    /// @notice Thrown when a job has no round.
    error UnknownRound(uint256 jobId);
    /// @notice Thrown when the caller holds no seat in the round.
    error NotInQuorum(uint256 jobId, address caller);
    /// @notice Thrown when an output is empty or larger than `MAX_OUTPUT_BYTES`.
    error InvalidOutputSize(uint256 size, uint256 maximum);
    /// @notice Thrown when a round would open with no member or more members than seats.
    error InvalidSeats(uint256 members, uint256 seats);

    /// @notice Emitted when a round opens.
    event RoundOpened(uint256 indexed jobId, address[] members, uint8 seats, uint32 commitEnd, uint32 revealWindow);
    /// @notice Emitted when a member commits.
    event ResultCommitted(uint256 indexed jobId, address indexed executor);
    /// @notice Emitted when every seat has committed before the commit phase ended.
    event RevealPhaseStarted(uint256 indexed jobId, uint32 revealEnd);
    /// @notice Emitted when a member reveals. The chain stores only `outputHash`: this event is where
    ///         a QUORUM job's output bytes are read back (the JobRegistry keeps the winning hash).
    event ResultRevealed(uint256 indexed jobId, address indexed executor, bytes32 outputHash, bytes output);
    /// @notice Emitted when a round is tallied; `winner` is zero when no strict majority exists.
    event RoundTallied(uint256 indexed jobId, bytes32 winner, uint256 votes);
    /// @notice Emitted once, when the JobRegistry is wired in.
    event HubSet(address hub);

    /// @notice Opens the round of `jobId`. JobRegistry only.
    /// @param members One entry per seat whose holder locked its collateral (a node drawn twice is
    ///        listed twice and casts one ballot worth two seats).
    /// @param seats Every seat drawn, `members` plus the seats forfeited by holders who could not
    ///        serve: a majority is more than half of all of them, so a forfeit never helps a side.
    /// @param commitEnd End of the commit phase.
    /// @param revealWindow Length of the reveal phase.
    function open(
        uint256 jobId,
        address[] calldata members,
        uint8 seats,
        uint32 commitEnd,
        uint32 revealWindow
    ) external;

    /// @notice A member commits keccak256(abi.encode(executor, jobId, keccak256(output), salt)).
    function commitResult(uint256 jobId, bytes32 commitment) external;

    /// @notice A member reveals. Open once every seat committed, or the commit phase ended. Only the
    ///         output's hash is stored, so a reveal of `MAX_OUTPUT_BYTES` costs calldata, not storage.
    function revealResult(uint256 jobId, bytes calldata output, bytes32 salt) external;

    /// @notice Closes the round. JobRegistry only.
    /// @return winner The hash a strict majority of seats revealed (zero if none).
    /// @return invalidClaim Whether the winning output is an invalid-input claim (`0x00 reason`).
    /// @return winners Seats that revealed the winner (a member holding two seats is listed twice).
    /// @return losers Seats that revealed another hash (every revealer when no majority exists).
    /// @return absent Seats of members who did not reveal (forfeited seats are not members).
    function tally(
        uint256 jobId
    )
        external
        returns (
            bytes32 winner,
            bool invalidClaim,
            address[] memory winners,
            address[] memory losers,
            address[] memory absent
        );

    /// @notice The commitment a member must submit.
    function commitmentOf(
        address executor,
        uint256 jobId,
        bytes32 outputHash,
        bytes32 salt
    ) external pure returns (bytes32);

    /// @notice A round's state.
    function roundOf(uint256 jobId) external view returns (Round memory);

    /// @notice A round's members.
    function membersOf(uint256 jobId) external view returns (address[] memory);

    /// @notice A member's commitment and revealed hash (zero until revealed).
    function seatOf(uint256 jobId, address executor) external view returns (bytes32 commitment, bytes32 outputHash);

    /// @notice When reveals close (computed from the commit phase if it closed by time).
    function revealEndOf(uint256 jobId) external view returns (uint32);
}
