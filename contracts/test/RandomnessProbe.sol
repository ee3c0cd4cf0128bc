// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRandomnessSource, RandomnessStatus} from "../interfaces/IRandomnessSource.sol";

/// @notice Test-only: a grinder. It triggers a draw and tries to read the outcome in the same
///         transaction, reverting if it can (the attack the sources must make impossible).
contract RandomnessProbe {
    /// @notice Thrown when the outcome of a draw was readable in its triggering transaction.
    error OutcomeReadable(uint64 target, bytes32 value);

    /// @notice Emitted when the probe triggered a draw and could not read its outcome.
    event OutcomeHidden(uint64 target);

    /// @notice Requests a target, then tries `randomnessOf` and `record` on it and on every target up to
    ///         `lookahead` blocks past it.
    /// @param source The randomness source under test.
    /// @param lookahead How many later targets to try as well.
    function tryToGrind(IRandomnessSource source, uint64 lookahead) external {
        uint64 target = source.request();
        for (uint64 t = target; t <= target + lookahead; ++t) _tryToRead(source, t);
        emit OutcomeHidden(target);
    }

    /// @notice Requests two targets, then tries `randomnessOf` and `record` on both: the second
    ///         request must not settle the first (a VRF coordinator that fulfils earlier requests
    ///         inside its request call would).
    /// @param source The randomness source under test.
    function tryToGrindTwice(IRandomnessSource source) external {
        uint64 first = source.request();
        uint64 second = source.request();
        _tryToRead(source, first);
        _tryToRead(source, second);
        emit OutcomeHidden(first);
    }

    /// @dev Reverts with `OutcomeReadable` if `target`'s value can be read or recorded now.
    function _tryToRead(IRandomnessSource source, uint64 target) private {
        (RandomnessStatus status, bytes32 value) = source.randomnessOf(target);
        if (status != RandomnessStatus.Pending || value != 0) revert OutcomeReadable(target, value);
        try source.record(target) returns (bytes32 recorded) {
            revert OutcomeReadable(target, recorded);
        } catch {}
    }
}

/// @notice Test-only: the way draws were seeded before this source existed (the current block's
///         `prevrandao`, readable in the triggering transaction). The probe must catch it.
contract InstantRandomness is IRandomnessSource {
    /// @notice Returns the current block: the value is already known.
    function request() external view returns (uint64 target) {
        return uint64(block.number);
    }

    /// @notice The current block.
    function targetOf(uint256 blockNumber) external pure returns (uint64) {
        return uint64(blockNumber);
    }

    /// @notice Ready with this block's `prevrandao` for any target up to the current block.
    function randomnessOf(uint64 target) external view returns (RandomnessStatus status, bytes32 value) {
        if (target > block.number) return (RandomnessStatus.Pending, 0);
        return (RandomnessStatus.Ready, keccak256(abi.encode(block.prevrandao, target)));
    }

    /// @notice Records nothing; returns what `randomnessOf` would.
    function record(uint64 target) external view returns (bytes32 value) {
        return keccak256(abi.encode(block.prevrandao, target));
    }

    /// @notice No delay.
    function delay() external pure returns (uint64) {
        return 0;
    }
}
