// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGlassboxErrors} from "../interfaces/IGlassboxErrors.sol";

/// @title CommitReveal
/// @notice The commit-reveal round shared by disputes (committees commit to a verdict) and QUORUM
///         jobs (executors commit to an output hash), written once over a storage struct. Members
///         hold weighted seats (a member drawn twice holds two seats and casts one ballot worth
///         two); a round counts seats, not members.
/// @dev Phases: commits are taken until `commitEnd` or until every seat has committed; reveals
///      start when every seat has committed or `commitEnd` has passed, and end at `revealEnd`
///      (fixed at opening, or, when opened with `revealEnd == 0`, `revealWindow` after the last
///      commitment, and `commitEnd + revealWindow` when some seat never committed). The round is
///      tallied once every seat revealed or `revealEnd` passed. No revealed value is visible while
///      anyone can still commit, so none can be copied.
library CommitReveal {
    /// @notice One round; fits one slot.
    struct Round {
        uint32 commitEnd;
        uint32 revealEnd; // zero until fixed (see the library's notes)
        uint32 revealWindow;
        uint8 seats; // seats in the round (the sum of the ballots' weights)
        uint8 commits; // seats whose holder committed
        uint8 reveals; // seats whose holder revealed
        bool closed; // tallied
    }

    /// @notice One member's ballot: its seats, its commitment and the value it revealed.
    struct Ballot {
        uint8 weight; // seats held; zero: not a member
        bytes32 commitment; // zero until committed
        bytes32 revealed; // zero until revealed
    }

    /// @notice Opens `round`; `revealEnd` zero lets the reveal phase start early and end
    ///         `revealWindow` after the last commitment.
    function open(Round storage round, uint32 commitEnd, uint32 revealEnd, uint32 revealWindow, uint8 seats) internal {
        round.commitEnd = commitEnd;
        round.revealEnd = revealEnd;
        round.revealWindow = revealWindow;
        round.seats = seats;
    }

    /// @notice Records `ballot`'s commitment; returns true when it completed the commit phase.
    function commit(
        Round storage round,
        Ballot storage ballot,
        uint256 id,
        bytes32 commitment
    ) internal returns (bool allCommitted) {
        // INVARIANT: a stored zero means "not committed", so a zero commitment would count twice.
        if (commitment == bytes32(0)) revert IGlassboxErrors.ZeroCommitment();
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > round.commitEnd || round.closed || round.commits == round.seats) {
            revert IGlassboxErrors.CommitPhaseOver(id, round.commitEnd);
        }
        if (ballot.commitment != bytes32(0)) revert IGlassboxErrors.AlreadyCommitted(id, msg.sender);
        ballot.commitment = commitment;
        uint8 commits = round.commits + ballot.weight;
        round.commits = commits;
        allCommitted = commits == round.seats;
        if (allCommitted && round.revealEnd == 0) {
            // solhint-disable-next-line not-rely-on-time
            round.revealEnd = uint32(block.timestamp) + round.revealWindow;
        }
    }

    /// @notice Records `ballot`'s revealed `value`, which must match its commitment (`expected` is
    ///         the commitment the caller recomputed from the value and the salt).
    function reveal(Round storage round, Ballot storage ballot, uint256 id, bytes32 value, bytes32 expected) internal {
        // INVARIANT: no value is visible while anyone can still commit, so none can be copied.
        // solhint-disable-next-line not-rely-on-time
        if (round.commits < round.seats && block.timestamp <= round.commitEnd) {
            revert IGlassboxErrors.RevealPhaseNotStarted(id, round.commitEnd);
        }
        uint32 end = revealEndOf(round);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > end || round.closed) revert IGlassboxErrors.RevealPhaseOver(id, end);
        if (ballot.commitment == bytes32(0)) revert IGlassboxErrors.NotCommitted(id, msg.sender);
        if (ballot.revealed != bytes32(0)) revert IGlassboxErrors.AlreadyRevealed(id, msg.sender);
        if (ballot.commitment != expected) revert IGlassboxErrors.CommitmentMismatch(id, msg.sender);
        ballot.revealed = value;
        round.reveals += ballot.weight;
    }

    /// @notice Closes the round for its tally: every seat revealed, or the reveal phase is over.
    function close(Round storage round, uint256 id) internal {
        if (round.closed) revert IGlassboxErrors.RoundClosed(id);
        uint32 end = revealEndOf(round);
        // solhint-disable-next-line not-rely-on-time
        if (round.reveals < round.seats && block.timestamp <= end) revert IGlassboxErrors.TallyTooEarly(id, end);
        round.closed = true;
    }

    /// @notice When the reveal phase ends (or would, if every seat committed now).
    function revealEndOf(Round storage round) internal view returns (uint32) {
        uint32 end = round.revealEnd;
        return end != 0 ? end : round.commitEnd + round.revealWindow;
    }
}
