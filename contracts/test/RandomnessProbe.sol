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

    /// @notice Requests a target, then tries `valueOf` and `record` on it and on every target up to
    ///         `lookahead` blocks past it.
    /// @param source The randomness source under test.
    /// @param lookahead How many later targets to try as well.
    function tryToGrind(IRandomnessSource source, uint64 lookahead) external {
        uint64 target = source.request();
        for (uint64 t = target; t <= target + lookahead; ++t) {
            (RandomnessStatus status, bytes32 value) = source.valueOf(t);
            if (status != RandomnessStatus.Pending || value != 0) revert OutcomeReadable(t, value);
            try source.record(t) returns (bytes32 recorded) {
                revert OutcomeReadable(t, recorded);
            } catch {}
        }
        emit OutcomeHidden(target);
    }
}
