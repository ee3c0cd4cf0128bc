// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Requantize} from "./Requantize.sol";

/// @title OneStepOps
/// @notice The referee's one-step operators (issue 15): each function recomputes ONE output element
///         of one operator of a refereed program, bit for bit as the reference interpreter
///         (packages/node/src/referee/interpreter.ts) computes it, from operand bytes the caller has
///         already proven against the trace (Merkle proofs are not checked here).
/// @dev Operands are `bytes` in the committed element layout of docs/REFEREE.md: one byte per uint8
///      or int8 element, int8 in two's complement. `isSigned` false means uint8, true int8. Every
///      element value and zero point is carried as an `int256`. Each function refuses, with a custom
///      error, exactly the inputs on which the interpreter (or the program validation it runs) is
///      not defined, so that a refused input can never be a defender's "correct" value.
///
///      QLinearConv needs no arithmetic of its own: an output element is the dot product of its
///      receptive field (kh * kw * C input elements in (i, j, c) order, padded positions filled by
///      the caller with the input's zero point, which adds (xZp - xZp) * w = 0, as the interpreter
///      skips them) with the filter in the same order, requantized with the output channel's record.
///      `convElement` is `matMulElement` under the names a convolution step uses.
library OneStepOps {
    /// @notice One output column's (QLinearMatMul) or output channel's (QLinearConv) parameters:
    ///         the fields of its 16-byte channel record (docs/REFEREE.md).
    /// @param bias The int32 bias (0 when the operator has none).
    /// @param scaleBits The float32 bits of the combined scale `f32(f32(a_s * b_s) / y_s)`.
    /// @param weightZeroPoint The weight zero point of this column or channel.
    struct Channel {
        int256 bias;
        uint32 scaleBits;
        int256 weightZeroPoint;
    }

    /// @notice A QLinearAdd step's parameters, as `QLinearAddOp` in packages/node/src/referee/program.ts.
    /// @param aSigned Whether A is int8 (else uint8).
    /// @param aZeroPoint A's zero point, a value of A's type.
    /// @param bSigned Whether B is int8 (else uint8).
    /// @param bZeroPoint B's zero point, a value of B's type.
    /// @param aMultiplier The integer multiplier of `A - aZp`, below 2^22 in magnitude.
    /// @param bMultiplier The integer multiplier of `B - bZp`, below 2^22 in magnitude.
    /// @param scaleBits The float32 bits of the output scale applied to the integer sum.
    /// @param outZeroPoint The output zero point, a value of the output type.
    /// @param outSigned Whether the output is int8 (else uint8).
    struct AddParams {
        bool aSigned;
        int256 aZeroPoint;
        bool bSigned;
        int256 bZeroPoint;
        int256 aMultiplier;
        int256 bMultiplier;
        uint32 scaleBits;
        int256 outZeroPoint;
        bool outSigned;
    }

    /// @notice Thrown when the two operands of a dot product differ in length.
    error LengthMismatch(uint256 aLength, uint256 bLength);
    /// @notice Thrown when a dot product is longer than `MAX_DOT_LENGTH`: the game bisects longer ones.
    error DotTooLong(uint256 size, uint256 maximum);
    /// @notice Thrown when an input's zero point is not a value of its type (uint8, or int8 when `isSigned`).
    error InputZeroPointOutOfRange(int256 zeroPoint, bool isSigned);
    /// @notice Thrown when an element value is not a value of its type (uint8, or int8 when `isSigned`).
    error ValueOutOfRange(int256 value, bool isSigned);
    /// @notice Thrown when a QLinearAdd multiplier is 2^22 or more in magnitude (program.ts refuses it).
    error MultiplierOutOfRange(int256 multiplier);
    /// @notice Thrown when an element index is past the end of its bytes (`count` elements; the same
    ///         error, by selector and names, as TensorCodec's).
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice Thrown when a MaxPool window holds no element.
    error EmptyWindow();
    /// @notice Thrown when a Table's bytes are not exactly 256 entries.
    error BadTableLength(uint256 size);

    /// @notice The longest dot product one step recomputes; the game bisects longer ones.
    uint256 internal constant MAX_DOT_LENGTH = 4096;
    /// @notice Magnitude bound of a QLinearAdd multiplier (exclusive), as program.ts validates it.
    int256 internal constant MAX_ADD_MULTIPLIER = 2 ** 22;

    /// @dev 0x80 in every byte: XOR with it maps an int8 byte r (value v) to the uint8 v + 128.
    uint256 private constant FLIP = 0x8080808080808080808080808080808080808080808080808080808080808080;
    /// @dev 0xff in the low byte of each 32-bit lane.
    uint256 private constant LANE8 = 0x000000ff000000ff000000ff000000ff000000ff000000ff000000ff000000ff;
    /// @dev The low 32 bits of each 64-bit lane.
    uint256 private constant LOW32 = 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff;
    /// @dev The low 64 bits of each 128-bit half.
    uint256 private constant LOW64 = 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff;
    /// @dev 1 in each 32-bit lane: multiplying a value in [0, 255] by it puts that value in every lane.
    uint256 private constant ONES32 = 0x0000000100000001000000010000000100000001000000010000000100000001;

    /// @notice `sum_k (a[k] - aZeroPoint) * (b[k] - bZeroPoint)`, the accumulator of QLinearMatMul and
    ///         QLinearConv (interpreter.ts), over two operands of equal length.
    /// @dev Computed on unsigned bytes: an int8 operand is XORed with 0x80 in every byte (the uint8
    ///      `v + 128`) and its zero point raised by 128, which leaves every difference `x - zp`
    ///      unchanged. The differences are formed in 32-bit lanes and their products summed eight at
    ///      a time by one MUL each (see `_packedDot`). K = 0 gives 0.
    /// @param a The first operand's bytes (a row of A, or a receptive field).
    /// @param aSigned Whether `a` holds int8 (else uint8).
    /// @param aZeroPoint `a`'s zero point, a value of its type.
    /// @param b The second operand's bytes (a column of B, or a filter), as long as `a`.
    /// @param bSigned Whether `b` holds int8 (else uint8).
    /// @param bZeroPoint `b`'s zero point, a value of its type.
    /// @return acc The exact sum; |acc| <= 4096 * 255 * 255 < 2^28, so always an int32.
    function dot(
        bytes memory a,
        bool aSigned,
        int256 aZeroPoint,
        bytes memory b,
        bool bSigned,
        int256 bZeroPoint
    ) internal pure returns (int256 acc) {
        uint256 k = a.length;
        // INVARIANT: the products pair elements one to one (a shorter operand would read foreign memory).
        if (k != b.length) revert LengthMismatch(k, b.length);
        // INVARIANT: K <= 4096 keeps the packed sums of _packedDot from wrapping (see its comment).
        if (k > MAX_DOT_LENGTH) revert DotTooLong(k, MAX_DOT_LENGTH);
        uint256 aZp = _unsignedZeroPoint(aZeroPoint, aSigned);
        uint256 bZp = _unsignedZeroPoint(bZeroPoint, bSigned);
        acc = _packedDot(a, b, aSigned ? FLIP : 0, bSigned ? FLIP : 0, aZp * ONES32, bZp * ONES32);
        // The zero-filled bytes after K in the last word were counted as (0 - aZp') * (0 - bZp') each.
        // Below 32 * 255 * 255 in magnitude: no overflow.
        unchecked {
            acc -= int256(((32 - (k & 31)) & 31) * aZp * bZp);
        }
    }

    /// @notice One element of QLinearMatMul: `requantize(dot(row, column), bias, scale, outZp)` with
    ///         the column's channel record, as interpreter.ts computes `Y[i, j]`.
    /// @dev Reverts as `dot` does on the operands and as `Requantize.requantize` does on the record's
    ///      bias and scale and on the output zero point.
    /// @param row Row i of A (K elements).
    /// @param rowSigned Whether A is int8 (else uint8).
    /// @param rowZeroPoint A's zero point.
    /// @param column Column j of B (K elements, in k order).
    /// @param columnSigned Whether B is int8 (else uint8).
    /// @param channel Column j's channel record (bias, scale bits, B's zero point for column j).
    /// @param outZeroPoint Y's zero point.
    /// @param outSigned Whether Y is int8 (else uint8).
    /// @return y The output element, a value of Y's type.
    function matMulElement(
        bytes memory row,
        bool rowSigned,
        int256 rowZeroPoint,
        bytes memory column,
        bool columnSigned,
        Channel memory channel,
        int256 outZeroPoint,
        bool outSigned
    ) internal pure returns (int256 y) {
        int256 acc = dot(row, rowSigned, rowZeroPoint, column, columnSigned, channel.weightZeroPoint);
        return Requantize.requantize(acc, channel.bias, channel.scaleBits, outZeroPoint, outSigned);
    }

    /// @notice One element of QLinearConv: `matMulElement` on the receptive field and the filter.
    /// @dev The caller assembles `window` as the kh * kw * C input elements under the output
    ///      position, in (i, j, c) order, with X's zero point at every padded position, and passes
    ///      filter m's bytes in the same order (the committed filter layout).
    /// @param window The receptive field, kh * kw * C elements, padded positions holding xZeroPoint.
    /// @param xSigned Whether X is int8 (else uint8).
    /// @param xZeroPoint X's zero point.
    /// @param filter Filter m's kh * kw * C weights in (i, j, c) order.
    /// @param wSigned Whether W is int8 (else uint8).
    /// @param channel Output channel m's channel record.
    /// @param outZeroPoint Y's zero point.
    /// @param outSigned Whether Y is int8 (else uint8).
    /// @return y The output element, a value of Y's type.
    function convElement(
        bytes memory window,
        bool xSigned,
        int256 xZeroPoint,
        bytes memory filter,
        bool wSigned,
        Channel memory channel,
        int256 outZeroPoint,
        bool outSigned
    ) internal pure returns (int256 y) {
        return matMulElement(window, xSigned, xZeroPoint, filter, wSigned, channel, outZeroPoint, outSigned);
    }

    /// @notice One element of Relu: `max(x, zeroPoint)`.
    /// @param x The input element, a value of the tensor's type.
    /// @param zeroPoint The tensor's zero point, a value of its type.
    /// @param isSigned Whether the tensor is int8 (else uint8).
    /// @return y The output element.
    function reluElement(int256 x, int256 zeroPoint, bool isSigned) internal pure returns (int256 y) {
        _checkValue(x, isSigned);
        // INVARIANT: the output is a value of the tensor's type (program.ts validates the zero point).
        _unsignedZeroPoint(zeroPoint, isSigned);
        return x > zeroPoint ? x : zeroPoint;
    }

    /// @notice One element of MaxPool: the largest of the window's elements.
    /// @dev The caller passes the window's real elements only (padding never wins, and the
    ///      interpreter skips it); program.ts keeps every pad smaller than the kernel, so a window of
    ///      a valid step is never empty.
    /// @param window The window's in-bounds elements, in any order.
    /// @param isSigned Whether the tensor is int8 (else uint8).
    /// @return y The largest element.
    function maxPoolElement(bytes memory window, bool isSigned) internal pure returns (int256 y) {
        uint256 n = window.length;
        // INVARIANT: the maximum of nothing is undefined (the interpreter's -Infinity is never an element).
        if (n == 0) revert EmptyWindow();
        y = readElement(window, 0, isSigned);
        for (uint256 i = 1; i < n; ++i) {
            int256 v = readElement(window, i, isSigned);
            if (v > y) y = v;
        }
    }

    /// @notice One element of QLinearAdd: `requantize((a - aZp) * aMul + (b - bZp) * bMul, 0, scale, outZp)`,
    ///         as interpreter.ts defines it.
    /// @param a A's element, a value of A's type.
    /// @param b B's element at the same index, a value of B's type.
    /// @param p The step's parameters.
    /// @return y The output element, a value of the output type.
    function addElement(int256 a, int256 b, AddParams memory p) internal pure returns (int256 y) {
        _checkValue(a, p.aSigned);
        _checkValue(b, p.bSigned);
        _unsignedZeroPoint(p.aZeroPoint, p.aSigned);
        _unsignedZeroPoint(p.bZeroPoint, p.bSigned);
        // INVARIANT: |acc| <= 255 * (|aMul| + |bMul|) < 2^31, an int32 as program.ts guarantees.
        _checkMultiplier(p.aMultiplier);
        _checkMultiplier(p.bMultiplier);
        // Every factor is bounded just above: |acc| < 2^31, far from int256 overflow.
        unchecked {
            int256 acc = (a - p.aZeroPoint) * p.aMultiplier + (b - p.bZeroPoint) * p.bMultiplier;
            return Requantize.requantize(acc, 0, p.scaleBits, p.outZeroPoint, p.outSigned);
        }
    }

    /// @notice One element of Table: `table[x - min(input type)]`.
    /// @dev `table` is the step's 256 entries, entry i (for input value `i + min`) one byte in the
    ///      OUTPUT type's element encoding (the value for uint8, two's complement for int8), exactly
    ///      as an element of the output tensor is committed.
    /// @param table The 256 table bytes.
    /// @param x The input element, a value of the input type.
    /// @param inSigned Whether the input is int8 (else uint8).
    /// @param outSigned Whether the output is int8 (else uint8).
    /// @return y The output element.
    function tableElement(
        bytes memory table,
        int256 x,
        bool inSigned,
        bool outSigned
    ) internal pure returns (int256 y) {
        // INVARIANT: every input value has exactly one entry.
        if (table.length != 256) revert BadTableLength(table.length);
        _checkValue(x, inSigned);
        // x - min is in [0, 255] after the check above.
        return readElement(table, uint256(inSigned ? x + 128 : x), outSigned);
    }

    /// @notice Element `index` of `data` in the committed layout: one byte, uint8, or int8 when `isSigned`.
    /// @param data The elements' bytes.
    /// @param index The element's index.
    /// @param isSigned Whether the elements are int8 (else uint8).
    /// @return v The element's value.
    function readElement(bytes memory data, uint256 index, bool isSigned) internal pure returns (int256 v) {
        // INVARIANT: only bytes the caller proved are read.
        if (index >= data.length) revert IndexOutOfRange(index, data.length);
        uint8 raw = uint8(data[index]);
        return isSigned ? int256(int8(raw)) : int256(uint256(raw));
    }

    /// @dev The packed dot product behind `dot`, over every byte of the ceil(K / 32) words that
    ///      hold the operands, each operand seen as uint8 (an int8 one XORed with 0x80 in every
    ///      byte) less its zero point: `sum (u - aZp') * (v - bZp')`, where the bytes after K in the
    ///      last word count as u = v = 0 (the caller corrects for them).
    /// @param a The first operand; its length is K <= 4096 (the caller checked that `b` has the same).
    /// @param b The second operand.
    /// @param flipA 0x80 in every byte when `a` is int8, else 0.
    /// @param flipB 0x80 in every byte when `b` is int8, else 0.
    /// @param zA `a`'s zero point as uint8, aZp' in [0, 255], in every 32-bit lane.
    /// @param zB `b`'s zero point as uint8 in every 32-bit lane.
    /// @return acc The sum.
    // solhint-disable-next-line function-max-lines
    function _packedDot(
        bytes memory a,
        bytes memory b,
        uint256 flipA,
        uint256 flipB,
        uint256 zA,
        uint256 zB
    ) private pure returns (int256 acc) {
        // Why this is safe (memory, then arithmetic):
        // - Reads: word i of an operand is mload(data + 32 + 32 i) for i < ceil(K / 32); all but the
        //   last lie inside the array. The last word of a K that is not a multiple of 32 reads up to
        //   31 bytes past the array's end (memory reads never fail; at most one word of expansion):
        //   `keep` zeroes those bytes AFTER the int8 XOR, so whatever lies there cannot matter, and
        //   they count as u = v = 0 for the caller to correct exactly. The only writes are two masks
        //   in the scratch space (0x00-0x3f), which Solidity lets inline assembly use.
        // - Products: a word is cut into four groups of eight bytes, one byte per 32-bit lane, and the
        //   zero point is subtracted from every lane at once (subtracting zA). With X = 2^32 and the
        //   integers as two's complement mod 2^256, group g of `a` is A = sum_t du_{4t+g} X^(7-t) and,
        //   after reversing the order of b's eight 32-bit lanes, group g of `b` is
        //   B = sum_t dv_{4t+g} X^t, so A * B = c_7 X^7 + L + (multiples of 2^256), where
        //   c_7 = sum_t du_{4t+g} dv_{4t+g} is the group's share of the dot product and
        //   L = sum_{j<7} c_j X^j with |c_j| <= 7 * 255 * 255 < 2^19, so |L| < 2^19 * 2^193 = 2^212.
        //   (MUL and ADD mod 2^256 are exact on two's complement integers mod 2^256.) Summed over
        //   at most 4096 / 8 = 512 groups: T = S X^7 + sum L, with |S| <= 4096 * 255 * 255 < 2^28
        //   and |sum L| < 2^221, so |T| < 2^253 is read as a signed word without wrapping, and
        //   S = floor((T + 2^223) / 2^224) exactly (sar), because |sum L| < 2^223 = X^7 / 2.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Two masks in the scratch space; `a` becomes the read pointer and `b` the distance from
            // it to the same element of `b` (both slots are reused to keep the stack shallow).
            mstore(0x00, LOW64)
            mstore(0x20, LOW32)
            let lane8 := LANE8
            let rest := and(mload(a), 31)
            let end := add(add(a, 0x20), sub(mload(a), rest))
            a := add(a, 0x20)
            b := sub(add(b, 0x20), a)
            // The full words, then (when K is not a multiple of 32) the partial last word with the
            // bytes after K zeroed: `rest` is 0 on the way round the loop and K mod 32 after it.
            let keep := not(0)
            for {} 1 {} {
                if iszero(lt(a, end)) {
                    if iszero(rest) {
                        break
                    }
                    keep := not(shr(shl(3, rest), not(0)))
                    rest := 0
                }
                let wa := and(xor(mload(a), flipA), keep)
                let wb := and(xor(mload(add(a, b)), flipB), keep)
                // Reverse the order of b's eight 32-bit lanes: swap halves, then 64-bit, then 32-bit lanes.
                wb := or(shr(128, wb), shl(128, wb))
                wb := or(and(shr(64, wb), mload(0x00)), shl(64, and(wb, mload(0x00))))
                wb := or(and(shr(32, wb), mload(0x20)), shl(32, and(wb, mload(0x20))))
                // Groups 0 to 3: the bytes 4t + g of `a` against the same bytes of `b`.
                acc := add(acc, mul(sub(and(shr(24, wa), lane8), zA), sub(and(shr(24, wb), lane8), zB)))
                acc := add(acc, mul(sub(and(shr(16, wa), lane8), zA), sub(and(shr(16, wb), lane8), zB)))
                acc := add(acc, mul(sub(and(shr(8, wa), lane8), zA), sub(and(shr(8, wb), lane8), zB)))
                acc := add(acc, mul(sub(and(wa, lane8), zA), sub(and(wb, lane8), zB)))
                a := add(a, 0x20)
            }
            acc := sar(224, add(acc, shl(223, 1)))
        }
    }

    /// @dev Checks that `zeroPoint` is a value of its type and returns it as the zero point of the
    ///      same operand seen as uint8 (int8 values are shifted by +128), in [0, 255].
    function _unsignedZeroPoint(int256 zeroPoint, bool isSigned) private pure returns (uint256) {
        // INVARIANT: |x - zp| <= 255 for every element x, the bound the dot product's packing needs.
        if (isSigned ? (zeroPoint < -128 || zeroPoint > 127) : (zeroPoint < 0 || zeroPoint > 255)) {
            revert InputZeroPointOutOfRange(zeroPoint, isSigned);
        }
        return uint256(isSigned ? zeroPoint + 128 : zeroPoint);
    }

    /// @dev Reverts unless `v` is a value of the type (uint8, or int8 when `isSigned`).
    function _checkValue(int256 v, bool isSigned) private pure {
        // INVARIANT: an element read from committed bytes is always in its type's range.
        if (isSigned ? (v < -128 || v > 127) : (v < 0 || v > 255)) revert ValueOutOfRange(v, isSigned);
    }

    /// @dev Reverts unless |m| < 2^22 (program.ts's bound on a QLinearAdd multiplier).
    function _checkMultiplier(int256 m) private pure {
        // INVARIANT: the QLinearAdd accumulator stays an int32 and the arithmetic cannot overflow.
        if (m <= -MAX_ADD_MULTIPLIER || m >= MAX_ADD_MULTIPLIER) revert MultiplierOutOfRange(m);
    }
}
