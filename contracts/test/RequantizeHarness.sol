// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Requantize} from "../libraries/Requantize.sol";

/// @notice Test-only: exposes Requantize, one call at a time, in batches and with its gas.
contract RequantizeHarness {
    /// @notice One requantization's inputs.
    struct Case {
        int256 acc;
        int256 bias;
        uint32 scaleBits;
        int256 zeroPoint;
        bool signedOut;
    }

    /// @notice Requantize.requantize.
    function requantize(
        int256 acc,
        int256 bias,
        uint32 scaleBits,
        int256 zeroPoint,
        bool signedOut
    ) external pure returns (int256) {
        return Requantize.requantize(acc, bias, scaleBits, zeroPoint, signedOut);
    }

    /// @notice Requantize.requantize on every case, so that one eth_call checks many.
    function requantizeMany(Case[] calldata cases) external pure returns (int256[] memory out) {
        out = new int256[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            Case calldata c = cases[i];
            out[i] = Requantize.requantize(c.acc, c.bias, c.scaleBits, c.zeroPoint, c.signedOut);
        }
    }

    /// @notice Requantize.requantize on each case with the gas the library call used (gasleft before and after).
    function gasOfMany(Case[] calldata cases) external view returns (int256[] memory out, uint256[] memory gasUsed) {
        out = new int256[](cases.length);
        gasUsed = new uint256[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            Case calldata c = cases[i];
            (int256 acc, int256 bias, uint32 s, int256 zp, bool signedOut) = (
                c.acc,
                c.bias,
                c.scaleBits,
                c.zeroPoint,
                c.signedOut
            );
            uint256 before = gasleft();
            int256 q = Requantize.requantize(acc, bias, s, zp, signedOut);
            gasUsed[i] = before - gasleft();
            out[i] = q;
        }
    }
}
