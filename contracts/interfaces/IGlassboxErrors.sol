// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IGlassboxErrors
/// @notice The errors that several Glassbox contracts throw, declared once. Every interface that
///         can throw one of them inherits this one, so each appears once in every ABI.
interface IGlassboxErrors {
    /// @notice Thrown when a parameter is outside its bound; `name` says which.
    error ParameterOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero; `name` says which.
    error ZeroAddress(string name);
    /// @notice Thrown when the caller may not call this function (not governance, not the
    ///         deployer during wiring, not a protocol contract).
    error UnauthorizedCaller(address caller);
    /// @notice Thrown when a contract's one-time wiring is attempted a second time.
    error AlreadyWired();

    // ---------------------------------------------------------------- commit-reveal rounds
    // (disputes and QUORUM jobs; `id` is the dispute id or the job id)

    /// @notice Thrown when a zero commitment is given (zero means "not committed").
    error ZeroCommitment();
    /// @notice Thrown when a commitment comes after the commit phase.
    error CommitPhaseOver(uint256 id, uint32 commitEnd);
    /// @notice Thrown when a member commits twice.
    error AlreadyCommitted(uint256 id, address member);
    /// @notice Thrown when a reveal comes while commitments are still open.
    error RevealPhaseNotStarted(uint256 id, uint32 commitEnd);
    /// @notice Thrown when a reveal comes after the reveal phase or the tally.
    error RevealPhaseOver(uint256 id, uint32 revealEnd);
    /// @notice Thrown when a member who did not commit tries to reveal.
    error NotCommitted(uint256 id, address member);
    /// @notice Thrown when a member reveals twice.
    error AlreadyRevealed(uint256 id, address member);
    /// @notice Thrown when a revealed value and salt do not match the member's commitment.
    error CommitmentMismatch(uint256 id, address member);
    /// @notice Thrown when a round is tallied before every seat revealed or its reveal phase ended.
    error TallyTooEarly(uint256 id, uint32 revealEnd);
    /// @notice Thrown when a round is tallied a second time.
    error RoundClosed(uint256 id);
}
