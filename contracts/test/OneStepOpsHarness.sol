// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OneStepOps} from "../libraries/OneStepOps.sol";

/// @notice Test-only: exposes OneStepOps, one call at a time, in batches, and the gas of `dot`.
contract OneStepOpsHarness {
    /// @notice Thrown when `dotPrefix` is asked for more bytes than an operand holds.
    error PrefixTooLong(uint256 k);

    /// @notice One matMulElement's inputs (also a convElement's: window, filter).
    struct MatMulCase {
        bytes row;
        bool rowSigned;
        int256 rowZeroPoint;
        bytes column;
        bool columnSigned;
        OneStepOps.Channel channel;
        int256 outZeroPoint;
        bool outSigned;
    }

    /// @notice OneStepOps.dot.
    function dot(
        bytes memory a,
        bool aSigned,
        int256 aZeroPoint,
        bytes memory b,
        bool bSigned,
        int256 bZeroPoint
    ) external pure returns (int256) {
        return OneStepOps.dot(a, aSigned, aZeroPoint, b, bSigned, bZeroPoint);
    }

    /// @notice OneStepOps.dot and the gas of the library call alone (gasleft before and after).
    function dotGas(
        bytes memory a,
        bool aSigned,
        int256 aZeroPoint,
        bytes memory b,
        bool bSigned,
        int256 bZeroPoint
    ) external view returns (int256 acc, uint256 gasUsed) {
        uint256 before = gasleft();
        acc = OneStepOps.dot(a, aSigned, aZeroPoint, b, bSigned, bZeroPoint);
        gasUsed = before - gasleft();
    }

    /// @notice OneStepOps.dot on the first `k` bytes of `a` and `b`, shortened in place, so that the
    ///         bytes after each operand's end are the rest of its buffer (dirty memory for the tail).
    function dotPrefix(
        bytes memory a,
        bool aSigned,
        int256 aZeroPoint,
        bytes memory b,
        bool bSigned,
        int256 bZeroPoint,
        uint256 k
    ) external pure returns (int256) {
        if (k > a.length || k > b.length) revert PrefixTooLong(k);
        // Test-only: shortening a bytes array in place leaves its tail allocated and readable.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(a, k)
            mstore(b, k)
        }
        return OneStepOps.dot(a, aSigned, aZeroPoint, b, bSigned, bZeroPoint);
    }

    /// @notice OneStepOps.matMulElement.
    function matMulElement(MatMulCase memory c) public pure returns (int256) {
        return
            OneStepOps.matMulElement(
                c.row,
                c.rowSigned,
                c.rowZeroPoint,
                c.column,
                c.columnSigned,
                c.channel,
                c.outZeroPoint,
                c.outSigned
            );
    }

    /// @notice OneStepOps.matMulElement on every case, so that one eth_call checks many.
    function matMulElements(MatMulCase[] memory cases) external pure returns (int256[] memory out) {
        out = new int256[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) out[i] = matMulElement(cases[i]);
    }

    /// @notice OneStepOps.convElement on every case (row = window, column = filter).
    function convElements(MatMulCase[] memory cases) external pure returns (int256[] memory out) {
        out = new int256[](cases.length);
        for (uint256 i = 0; i < cases.length; ++i) {
            MatMulCase memory c = cases[i];
            out[i] = OneStepOps.convElement(
                c.row,
                c.rowSigned,
                c.rowZeroPoint,
                c.column,
                c.columnSigned,
                c.channel,
                c.outZeroPoint,
                c.outSigned
            );
        }
    }

    /// @notice OneStepOps.reluElement.
    function reluElement(int256 x, int256 zeroPoint, bool isSigned) external pure returns (int256) {
        return OneStepOps.reluElement(x, zeroPoint, isSigned);
    }

    /// @notice OneStepOps.maxPoolElement.
    function maxPoolElement(bytes memory window, bool isSigned) public pure returns (int256) {
        return OneStepOps.maxPoolElement(window, isSigned);
    }

    /// @notice OneStepOps.maxPoolElement on every window.
    function maxPoolElements(bytes[] memory windows, bool isSigned) external pure returns (int256[] memory out) {
        out = new int256[](windows.length);
        for (uint256 i = 0; i < windows.length; ++i) out[i] = maxPoolElement(windows[i], isSigned);
    }

    /// @notice OneStepOps.addElement.
    function addElement(int256 a, int256 b, OneStepOps.AddParams memory p) public pure returns (int256) {
        return OneStepOps.addElement(a, b, p);
    }

    /// @notice OneStepOps.addElement on element pairs `a[i]`, `b[i]` of one step.
    function addElements(
        int256[] memory a,
        int256[] memory b,
        OneStepOps.AddParams memory p
    ) external pure returns (int256[] memory out) {
        out = new int256[](a.length);
        for (uint256 i = 0; i < a.length; ++i) out[i] = OneStepOps.addElement(a[i], b[i], p);
    }

    /// @notice OneStepOps.tableElement.
    function tableElement(bytes memory table, int256 x, bool inSigned, bool outSigned) external pure returns (int256) {
        return OneStepOps.tableElement(table, x, inSigned, outSigned);
    }

    /// @notice OneStepOps.readElement.
    function readElement(bytes memory data, uint256 index, bool isSigned) external pure returns (int256) {
        return OneStepOps.readElement(data, index, isSigned);
    }
}
