// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IQuorumManager} from "./interfaces/IQuorumManager.sol";
import {CommitReveal} from "./libraries/CommitReveal.sol";
import {TensorCodec} from "./libraries/TensorCodec.sol";

/// @title QuorumManager
/// @notice Runs the commit-reveal rounds of QUORUM jobs for the JobRegistry (the shared
///         CommitReveal round); the hub opens and tallies them and acts on the tally.
contract QuorumManager is IQuorumManager {
    using CommitReveal for CommitReveal.Round;

    /// @notice Largest output a member may reveal (the same bound as the JobRegistry's inline outputs).
    uint256 public constant MAX_OUTPUT_BYTES = 64 * 1024;

    /// @notice Who may wire in the hub, once.
    address public immutable DEPLOYER;
    /// @notice The JobRegistry.
    address public hub;

    mapping(uint256 jobId => CommitReveal.Round) private _rounds;
    mapping(uint256 jobId => address[]) private _members;
    // A seat's revealed value is the hash of its output (zero until revealed).
    mapping(uint256 jobId => mapping(address executor => CommitReveal.Ballot)) private _seats;
    // The chain keeps only hashes: a reveal's bytes live in its ResultRevealed event. Whether a
    // revealed output is an invalid-input claim (`0x00 reason`) is all the hub needs of its bytes.
    mapping(uint256 jobId => mapping(bytes32 outputHash => bool)) private _claims;

    modifier onlyHub() {
        if (msg.sender != hub) revert UnauthorizedCaller(msg.sender);
        _;
    }

    constructor() {
        DEPLOYER = msg.sender;
    }

    /// @notice Wires in the JobRegistry, once, by the deployer.
    function setHub(address hub_) external {
        if (msg.sender != DEPLOYER) revert UnauthorizedCaller(msg.sender);
        if (hub != address(0)) revert AlreadyWired();
        if (hub_ == address(0)) revert ZeroAddress("hub");
        hub = hub_;
        emit HubSet(hub_);
    }

    /// @inheritdoc IQuorumManager
    function open(
        uint256 jobId,
        address[] calldata members,
        uint8 seats,
        uint32 commitEnd,
        uint32 revealWindow
    ) external onlyHub {
        // A job gets one round: a QUORUM job is never reassigned.
        if (_rounds[jobId].seats != 0) revert RoundClosed(jobId);
        // INVARIANT: every member holds a seat the round counts (forfeited seats only add to `seats`).
        if (members.length == 0 || members.length > seats) revert InvalidSeats(members.length, seats);
        _rounds[jobId].open(commitEnd, 0, revealWindow, seats);
        _members[jobId] = members;
        // Seats are drawn with replacement: a node listed twice holds one ballot worth two.
        for (uint256 i = 0; i < members.length; ++i) ++_seats[jobId][members[i]].weight;
        emit RoundOpened(jobId, members, seats, commitEnd, revealWindow);
    }

    /// @inheritdoc IQuorumManager
    function commitResult(uint256 jobId, bytes32 commitment) external {
        CommitReveal.Round storage round = _existing(jobId);
        if (round.commit(_seat(jobId), jobId, commitment)) emit RevealPhaseStarted(jobId, round.revealEnd);
        emit ResultCommitted(jobId, msg.sender);
    }

    /// @inheritdoc IQuorumManager
    function revealResult(uint256 jobId, bytes calldata output, bytes32 salt) external {
        if (output.length == 0 || output.length > MAX_OUTPUT_BYTES)
            revert InvalidOutputSize(output.length, MAX_OUTPUT_BYTES);
        CommitReveal.Round storage round = _existing(jobId);
        CommitReveal.Ballot storage seat = _seat(jobId);
        bytes32 outputHash = keccak256(output);
        round.reveal(seat, jobId, outputHash, commitmentOf(msg.sender, jobId, outputHash, salt));
        if (TensorCodec.isInvalidClaim(output)) _claims[jobId][outputHash] = true;
        emit ResultRevealed(jobId, msg.sender, outputHash, output);
    }

    /// @inheritdoc IQuorumManager
    function tally(
        uint256 jobId
    )
        external
        onlyHub
        returns (
            bytes32 winner,
            bool invalidClaim,
            address[] memory winners,
            address[] memory losers,
            address[] memory absent
        )
    {
        CommitReveal.Round storage round = _existing(jobId);
        round.close(jobId);
        uint256 votes;
        (winner, votes) = _majority(jobId);
        if (votes * 2 <= round.seats) (winner, votes) = (bytes32(0), 0);
        winners = _collect(jobId, winner, votes, true);
        absent = _collect(jobId, bytes32(0), _members[jobId].length - round.reveals, true);
        // Everyone who revealed something other than the winner (all revealers when none won).
        losers = _collect(jobId, winner, round.reveals - votes, false);
        invalidClaim = _claims[jobId][winner];
        emit RoundTallied(jobId, winner, votes);
    }

    /// @inheritdoc IQuorumManager
    function commitmentOf(
        address executor,
        uint256 jobId,
        bytes32 outputHash,
        bytes32 salt
    ) public pure returns (bytes32) {
        return keccak256(abi.encode(executor, jobId, outputHash, salt));
    }

    /// @inheritdoc IQuorumManager
    function roundOf(uint256 jobId) external view returns (Round memory) {
        CommitReveal.Round storage r = _existing(jobId);
        return
            Round({
                commitEnd: r.commitEnd,
                revealEnd: r.revealEnd,
                revealWindow: r.revealWindow,
                seats: r.seats,
                commits: r.commits,
                reveals: r.reveals,
                tallied: r.closed
            });
    }

    /// @inheritdoc IQuorumManager
    function membersOf(uint256 jobId) external view returns (address[] memory) {
        return _members[jobId];
    }

    /// @inheritdoc IQuorumManager
    function seatOf(uint256 jobId, address executor) external view returns (bytes32, bytes32) {
        CommitReveal.Ballot storage seat = _seats[jobId][executor];
        return (seat.commitment, seat.revealed);
    }

    /// @inheritdoc IQuorumManager
    function revealEndOf(uint256 jobId) external view returns (uint32) {
        return _existing(jobId).revealEndOf();
    }

    function _existing(uint256 jobId) private view returns (CommitReveal.Round storage round) {
        round = _rounds[jobId];
        if (round.seats == 0) revert UnknownRound(jobId);
    }

    function _seat(uint256 jobId) private view returns (CommitReveal.Ballot storage seat) {
        seat = _seats[jobId][msg.sender];
        if (seat.weight == 0) revert NotInQuorum(jobId, msg.sender);
    }

    /// @dev The most revealed hash and its count: at most seats^2 comparisons in memory (seats <= 32).
    function _majority(uint256 jobId) private view returns (bytes32 best, uint256 bestVotes) {
        address[] storage members = _members[jobId];
        uint256 n = members.length;
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) hashes[i] = _seats[jobId][members[i]].revealed;
        for (uint256 i = 0; i < n; ++i) {
            if (hashes[i] == bytes32(0)) continue;
            uint256 votes;
            for (uint256 j = 0; j < n; ++j) if (hashes[j] == hashes[i]) ++votes;
            if (votes > bestVotes) (best, bestVotes) = (hashes[i], votes);
        }
    }

    /// @dev The `count` members whose revealed hash equals `hash` (when `equal`) or is a different
    ///      non-zero hash (when not).
    function _collect(
        uint256 jobId,
        bytes32 hash,
        uint256 count,
        bool equal
    ) private view returns (address[] memory out) {
        out = new address[](count);
        address[] storage members = _members[jobId];
        uint256 found;
        for (uint256 i = 0; i < members.length && found < count; ++i) {
            bytes32 revealed = _seats[jobId][members[i]].revealed;
            bool match_ = equal ? revealed == hash : (revealed != bytes32(0) && revealed != hash);
            if (match_) out[found++] = members[i];
        }
    }
}
