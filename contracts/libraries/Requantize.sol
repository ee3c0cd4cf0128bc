// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title Requantize
/// @notice The referee's requantization (issue 15) in integer arithmetic, bit for bit the same as
///         `requantize` in packages/node/src/referee/arith.ts (and so as onnxruntime's MLAS on x86):
///         `clamp(roundHalfEven(f32(f32(acc + bias) * s)) + zeroPoint)`.
/// @dev The EVM has no floating point, so a float32 value is carried as an unsigned magnitude `m`
///      and a binary exponent `e` (value `m * 2^e`), with the sign kept apart. Every float32
///      rounding is done on those integers, to nearest with ties to even:
///      1. `acc + bias` (an int32) is converted to float32: exact below 2^24, above it the low bits
///         are rounded away (x86 `cvtdq2ps`);
///      2. the 24-bit by 24-bit product with the scale is exact in 48 bits, then rounded once to a
///         24-bit significand (x86 `mulps`);
///      3. the product is rounded to an integer, ties to even (x86 `cvtps2dq`), the zero point added
///         and the sum clamped to the output type's range.
///      arith.ts clamps the float to `[min - zp, max - zp]` before rounding and clamps the integer
///      again after; both bounds are integers and rounding is monotone, so that equals clamping
///      `roundHalfEven(product) + zp` once, which is what this library does. A product that would
///      overflow float32 to infinity (>= 2^128, only with huge scales) is kept as its large finite
///      value here; it clamps to the same bound as the infinity does in arith.ts.
library Requantize {
    /// @notice Thrown when the accumulator is not an int32 (arith.ts: "accumulator ... is not an int32").
    error AccumulatorNotInt32(int256 acc);
    /// @notice Thrown when the bias is not an int32 (arith.ts: "bias ... is not an int32").
    error BiasNotInt32(int256 bias);
    /// @notice Thrown when `acc + bias` overflows int32 (arith.ts: "accumulator + bias ... overflows int32").
    error SumOverflowsInt32(int256 sum);
    /// @notice Thrown when the scale's bits are a NaN (either sign).
    error ScaleNotANumber(uint32 scaleBits);
    /// @notice Thrown when the scale's bits are +infinity or -infinity.
    error InfiniteScale(uint32 scaleBits);
    /// @notice Thrown when the scale's bits are +0 or -0.
    error ZeroScale(uint32 scaleBits);
    /// @notice Thrown when the scale is a negative finite non-zero float32.
    error NegativeScale(uint32 scaleBits);
    /// @notice Thrown when the zero point is outside the output type's range (uint8, or int8 when `signedOut`).
    error ZeroPointOutOfRange(int256 zeroPoint, bool signedOut);

    int256 private constant INT32_MIN = -(2 ** 31);
    int256 private constant INT32_MAX = 2 ** 31 - 1;
    /// @dev float32 significands have 24 bits (23 stored plus the implicit leading one).
    uint256 private constant PRECISION = 24;
    /// @dev The exponent of the smallest float32 subnormal, 2^-149.
    int256 private constant MIN_EXP = -149;

    /// @notice Requantizes an int32 accumulator to uint8 (or int8 when `signedOut`), exactly as
    ///         arith.ts's `requantize(acc, bias, scaleBits, zeroPoint, signedOut ? "int8" : "uint8")`.
    /// @dev Reverts with a custom error on every input arith.ts refuses, in the same order:
    ///      accumulator, bias, their sum, the scale, the zero point.
    /// @param acc The int32 accumulator.
    /// @param bias The int32 bias, added to `acc` in integers before the float32 conversion.
    /// @param scaleBits The bit pattern of the float32 scale; a positive finite float32 (subnormals allowed).
    /// @param zeroPoint The output zero point, in the output type's range.
    /// @param signedOut False for a uint8 output ([0, 255]), true for int8 ([-128, 127]).
    /// @return q The requantized value, in the output type's range.
    function requantize(
        int256 acc,
        int256 bias,
        uint32 scaleBits,
        int256 zeroPoint,
        bool signedOut
    ) internal pure returns (int256 q) {
        // INVARIANT: acc, bias and their sum are int32s, as in arith.ts (onnxruntime would wrap).
        if (acc < INT32_MIN || acc > INT32_MAX) revert AccumulatorNotInt32(acc);
        if (bias < INT32_MIN || bias > INT32_MAX) revert BiasNotInt32(bias);
        int256 sum = acc + bias; // cannot overflow int256: both are int32s
        if (sum < INT32_MIN || sum > INT32_MAX) revert SumOverflowsInt32(sum);
        (uint256 sm, int256 se) = decodeScale(scaleBits);
        (int256 lo, int256 hi) = signedOut ? (int256(-128), int256(127)) : (int256(0), int256(255));
        // INVARIANT: the zero point is a value of the output type, so lo - zp <= 0 <= hi - zp.
        if (zeroPoint < lo || zeroPoint > hi) revert ZeroPointOutOfRange(zeroPoint, signedOut);

        (bool neg, uint256 am, int256 ae) = int32ToFloat32(sum);
        (uint256 pm, int256 pe) = mulFloat32(am, ae, sm, se);
        uint256 n = roundHalfEvenToInt(pm, pe);
        // n < 2^162 (the product is below 2^(32 + 128)), so the cast and the sum cannot overflow.
        unchecked {
            q = (neg ? -int256(n) : int256(n)) + zeroPoint;
        }
        if (q < lo) q = lo;
        else if (q > hi) q = hi;
    }

    /// @notice The value of a positive finite float32 bit pattern, as `m * 2^e`.
    /// @dev Mirrors arith.ts's `isValidScaleBits`: zero (either sign), negative, infinite and NaN
    ///      patterns are refused; subnormals (exponent field 0) are valid. The NaN and infinity
    ///      checks come first, so -infinity is an InfiniteScale and -0 a ZeroScale.
    /// @param bits The float32 bit pattern.
    /// @return m The significand, below 2^24 (with the implicit one for a normal number).
    /// @return e The exponent of the significand's unit bit, at least -149.
    function decodeScale(uint32 bits) internal pure returns (uint256 m, int256 e) {
        uint256 expField = (bits >> 23) & 0xff;
        uint256 frac = bits & 0x7fffff;
        // INVARIANT: only positive finite float32 scales reach the arithmetic (arith.ts isValidScaleBits).
        if (expField == 0xff) {
            if (frac != 0) revert ScaleNotANumber(bits);
            revert InfiniteScale(bits);
        }
        if (bits & 0x7fffffff == 0) revert ZeroScale(bits);
        if (bits >> 31 != 0) revert NegativeScale(bits);
        if (expField == 0) return (frac, MIN_EXP);
        unchecked {
            return (frac | (1 << 23), int256(expField) - 150);
        }
    }

    /// @notice Converts an int32 to float32, rounding to nearest with ties to even (x86 `cvtdq2ps`).
    /// @dev Exact when |x| < 2^24 (then `m = |x|`, `e = 0`). Above, `|x|` is rounded to 24 significant
    ///      bits; a carry may give `m = 2^24`, which is still the right value.
    /// @param x The integer, in int32's range (the caller checks).
    /// @return neg Whether x is negative.
    /// @return m The magnitude's significand, at most 2^24.
    /// @return e Its exponent, between 0 and 8.
    function int32ToFloat32(int256 x) internal pure returns (bool neg, uint256 m, int256 e) {
        neg = x < 0;
        unchecked {
            // |x| <= 2^31: the negation cannot overflow, and m >= 2^24 has a bit length of at least 25.
            m = uint256(neg ? -x : x);
            if (m >> PRECISION == 0) return (neg, m, 0);
            uint256 shift = bitLength(m) - PRECISION;
            return (neg, roundShiftEven(m, shift), int256(shift));
        }
    }

    /// @notice Multiplies two non-negative float32 values `am * 2^ae` and `bm * 2^be` and rounds the
    ///         exact product to float32, to nearest with ties to even (x86 `mulps`).
    /// @dev The exact product of two significands below 2^25 fits 50 bits. It is rounded to 24
    ///      significant bits, or to a multiple of 2^-149 when it falls in float32's subnormal range.
    ///      Overflow is not turned into infinity: a product of 2^128 or more is returned as its
    ///      rounded finite value (callers that clamp, as `requantize` does, get the same result).
    /// @param am The first significand.
    /// @param ae The first exponent.
    /// @param bm The second significand.
    /// @param be The second exponent.
    /// @return m The rounded product's significand, at most 2^24.
    /// @return e Its exponent.
    function mulFloat32(uint256 am, int256 ae, uint256 bm, int256 be) internal pure returns (uint256 m, int256 e) {
        // Significands below 2^25 and float32 exponents (|e| < 300): nothing here can overflow.
        unchecked {
            m = am * bm;
            e = ae + be;
            if (m == 0) return (0, 0);
            // The unit of the last kept bit: 24 bits below the top, but never below 2^-149.
            int256 unit = int256(bitLength(m)) - int256(PRECISION) + e;
            if (unit < MIN_EXP) unit = MIN_EXP;
            if (unit > e) {
                m = roundShiftEven(m, uint256(unit - e));
                e = unit;
            }
        }
    }

    /// @notice Rounds a non-negative `m * 2^e` to the nearest integer, ties to even (x86 `cvtps2dq`).
    /// @dev With `e >= 0` the value is already an integer; `m` below 2^25 and `e` below 137 keep it
    ///      under 2^162.
    /// @param m The significand.
    /// @param e The exponent.
    /// @return n The rounded integer.
    function roundHalfEvenToInt(uint256 m, int256 e) internal pure returns (uint256 n) {
        unchecked {
            if (e >= 0) return m << uint256(e);
            return roundShiftEven(m, uint256(-e));
        }
    }

    /// @notice `m / 2^k` rounded to the nearest integer, ties to even.
    /// @dev For `k >= 256` the quotient is 0 and so is the result (m < 2^255 is below one half).
    /// @param m The dividend.
    /// @param k The number of low bits to round away.
    /// @return r The rounded quotient.
    function roundShiftEven(uint256 m, uint256 k) internal pure returns (uint256 r) {
        if (k == 0) return m;
        if (k > 255) return 0; // m < 2^64 in every use, far below 2^(k-1)
        unchecked {
            r = m >> k;
            uint256 rem = m & ((1 << k) - 1);
            uint256 half = 1 << (k - 1);
            if (rem > half || (rem == half && r & 1 == 1)) ++r;
        }
    }

    /// @notice The number of significant bits of `x` (0 for 0), for `x` below 2^64.
    /// @dev A binary search over 32, 16, 8, 4, 2 and 1 bits; the callers pass at most 50-bit values.
    /// @param x The value, below 2^64.
    /// @return n The bit length.
    function bitLength(uint256 x) internal pure returns (uint256 n) {
        unchecked {
            if (x >> 32 != 0) {
                x >>= 32;
                n = 32;
            }
            if (x >> 16 != 0) {
                x >>= 16;
                n += 16;
            }
            if (x >> 8 != 0) {
                x >>= 8;
                n += 8;
            }
            if (x >> 4 != 0) {
                x >>= 4;
                n += 4;
            }
            if (x >> 2 != 0) {
                x >>= 2;
                n += 2;
            }
            if (x >> 1 != 0) {
                x >>= 1;
                n += 1;
            }
            n += x;
        }
    }
}
