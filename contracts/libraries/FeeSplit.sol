// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title FeeSplit
/// @notice Splits a job's fee between the executor, the model's audit pot, the model owner and
///         the protocol treasury. The executor takes the remainder, so the four parts always add
///         up to the fee exactly: rounding can neither lock dust nor pay out more than escrowed.
library FeeSplit {
    uint256 internal constant BPS = 10_000;

    /// @notice Basis-point shares of everyone but the executor; their sum is at most `BPS`.
    struct Shares {
        uint16 verifierBps;
        uint16 modelOwnerBps;
        uint16 treasuryBps;
    }

    struct Parts {
        uint256 executor;
        uint256 verifiers;
        uint256 modelOwner;
        uint256 treasury;
    }

    /// @notice The four parts of `fee`; `executor` is whatever the rounded-down shares leave.
    function split(uint256 fee, Shares memory shares) internal pure returns (Parts memory parts) {
        parts.verifiers = (fee * shares.verifierBps) / BPS;
        parts.modelOwner = (fee * shares.modelOwnerBps) / BPS;
        parts.treasury = (fee * shares.treasuryBps) / BPS;
        // The shares sum to at most BPS (checked where they are set), so this cannot underflow.
        parts.executor = fee - parts.verifiers - parts.modelOwner - parts.treasury;
    }

    /// @notice Divides `amount` equally between `count` winners; the remainder (< count) is
    ///         returned separately so that the caller sends it somewhere instead of losing it.
    function equalShares(uint256 amount, uint256 count) internal pure returns (uint256 each, uint256 remainder) {
        if (count == 0) return (0, amount);
        each = amount / count;
        remainder = amount - each * count;
    }
}
