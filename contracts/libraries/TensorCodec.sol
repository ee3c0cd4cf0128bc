// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TensorCodec
/// @notice Reads Glassbox's canonical tensor encoding, so that a contract can act on a model's
///         output (the argmax of logits, a threshold on a score).
/// @dev The encoding, shared bit for bit with the TypeScript codec and checked by golden vectors:
///
///      map    := version:uint8 (=1) count:uint8 tensor*count
///      tensor := nameLen:uint8 name:bytes[nameLen] dtype:uint8 rank:uint8 dim:uint32le*rank
///                values:bytes[elementSize(dtype) * prod(dims)]   (little-endian values)
///
///      Tensors are sorted by name, strictly ascending bytewise, so one map has one encoding.
///      Names are 1..64 bytes of UTF-8 (this decoder treats them as bytes and does not check the
///      UTF-8; the TypeScript decoder rejects a map whose names are not UTF-8); rank is at most 8;
///      bool values are 0 or 1. A two-byte map
///      `0x00 reason` is not a tensor map: it is an executor's claim that the input was invalid.
library TensorCodec {
    uint8 internal constant VERSION = 1;
    uint8 internal constant FLOAT32 = 1;
    uint8 internal constant FLOAT64 = 2;
    uint8 internal constant INT32 = 3;
    uint8 internal constant INT64 = 4;
    uint8 internal constant BOOL = 5;
    uint8 internal constant UINT8 = 6;
    uint8 internal constant INT8 = 7;
    uint256 internal constant MAX_RANK = 8;
    uint256 internal constant MAX_NAME = 64;
    /// @notice Fixed-point scale of `readFixed`: 1.0 is 1e18.
    int256 internal constant ONE = 1e18;

    /// @notice Thrown when the bytes are not a canonical tensor map; `offset` is where it broke.
    error MalformedTensor(uint256 offset);
    /// @notice Thrown when a dtype byte is not one of the codes above.
    error UnknownDtype(uint8 dtype);
    /// @notice Thrown when no tensor has the name asked for.
    error TensorNotFound(bytes name);
    /// @notice Thrown when an element index is past the tensor's element count.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @notice Thrown when a float is NaN or infinite, or too large for 1e18 fixed point.
    error NotRepresentable(uint256 index);

    /// @notice Where one tensor sits inside an encoded map.
    struct Tensor {
        bytes name;
        uint8 dtype;
        uint32[] shape;
        uint256 count; // number of elements
        uint256 offset; // byte offset of the first value inside the encoded map
    }

    /// @notice Bytes per element of `dtype`.
    function elementSize(uint8 dtype) internal pure returns (uint256) {
        if (dtype == FLOAT32 || dtype == INT32) return 4;
        if (dtype == FLOAT64 || dtype == INT64) return 8;
        if (dtype == BOOL || dtype == UINT8 || dtype == INT8) return 1;
        revert UnknownDtype(dtype);
    }

    /// @notice True when `data` is an executor's invalid-input claim rather than a tensor map.
    function isInvalidClaim(bytes memory data) internal pure returns (bool) {
        return data.length == 2 && data[0] == 0x00;
    }

    /// @notice Decodes and validates a whole map: every structural rule above, no trailing bytes.
    function decode(bytes memory data) internal pure returns (Tensor[] memory tensors) {
        if (data.length < 2 || uint8(data[0]) != VERSION) revert MalformedTensor(0);
        uint256 n = uint8(data[1]);
        tensors = new Tensor[](n);
        uint256 at = 2;
        for (uint256 i = 0; i < n; ++i) {
            (tensors[i], at) = _readTensor(data, at);
            if (i > 0 && !_lessThan(tensors[i - 1].name, tensors[i].name)) revert MalformedTensor(at);
        }
        if (at != data.length) revert MalformedTensor(at);
    }

    /// @notice The tensor called `name`.
    function find(bytes memory data, bytes memory name) internal pure returns (Tensor memory) {
        Tensor[] memory tensors = decode(data);
        for (uint256 i = 0; i < tensors.length; ++i) {
            if (keccak256(tensors[i].name) == keccak256(name)) return tensors[i];
        }
        revert TensorNotFound(name);
    }

    /// @notice Element `index` (row-major) as a signed integer; for integer and bool dtypes.
    function readInt(bytes memory data, Tensor memory t, uint256 index) internal pure returns (int256) {
        uint256 raw = _raw(data, t, index);
        if (t.dtype == INT32) return int256(int32(uint32(raw)));
        if (t.dtype == INT64) return int256(int64(uint64(raw)));
        if (t.dtype == INT8) return int256(int8(uint8(raw)));
        if (t.dtype == BOOL || t.dtype == UINT8) return int256(raw);
        revert UnknownDtype(t.dtype);
    }

    /// @notice Element `index` as a 1e18 fixed-point number, for every dtype. Float values are
    ///         converted exactly up to truncation toward zero below 1e-18.
    function readFixed(bytes memory data, Tensor memory t, uint256 index) internal pure returns (int256) {
        if (t.dtype == FLOAT32) return _floatToFixed(_raw(data, t, index), 8, 23, index);
        if (t.dtype == FLOAT64) return _floatToFixed(_raw(data, t, index), 11, 52, index);
        return readInt(data, t, index) * ONE;
    }

    /// @notice The index of the largest element (the first one on ties).
    function argmax(bytes memory data, Tensor memory t) internal pure returns (uint256 best) {
        if (t.count == 0) revert IndexOutOfRange(0, 0);
        int256 bestValue = readFixed(data, t, 0);
        for (uint256 i = 1; i < t.count; ++i) {
            int256 v = readFixed(data, t, i);
            if (v > bestValue) (best, bestValue) = (i, v);
        }
    }

    function _readTensor(bytes memory data, uint256 at) private pure returns (Tensor memory t, uint256) {
        uint256 len = data.length;
        if (at + 1 > len) revert MalformedTensor(at);
        uint256 nameLen = uint8(data[at]);
        if (nameLen == 0 || nameLen > MAX_NAME || at + 1 + nameLen + 2 > len) revert MalformedTensor(at);
        t.name = new bytes(nameLen);
        for (uint256 i = 0; i < nameLen; ++i) t.name[i] = data[at + 1 + i];
        at += 1 + nameLen;
        t.dtype = uint8(data[at]);
        uint256 size = elementSize(t.dtype);
        uint256 rank = uint8(data[at + 1]);
        at += 2;
        if (rank > MAX_RANK || at + 4 * rank > len) revert MalformedTensor(at);
        t.shape = new uint32[](rank);
        uint256 count = 1;
        for (uint256 d = 0; d < rank; ++d) {
            uint32 dim = uint32(_readLE(data, at, 4));
            t.shape[d] = dim;
            count *= dim; // at most (2^32)^8 = 2^256 overflows only with absurd shapes: checked math reverts
            at += 4;
        }
        t.count = count;
        t.offset = at;
        if (count > len || at + count * size > len) revert MalformedTensor(at);
        if (t.dtype == BOOL) {
            for (uint256 i = 0; i < count; ++i) if (uint8(data[at + i]) > 1) revert MalformedTensor(at + i);
        }
        return (t, at + count * size);
    }

    function _raw(bytes memory data, Tensor memory t, uint256 index) private pure returns (uint256) {
        if (index >= t.count) revert IndexOutOfRange(index, t.count);
        uint256 size = elementSize(t.dtype);
        return _readLE(data, t.offset + index * size, size);
    }

    function _readLE(bytes memory data, uint256 at, uint256 size) private pure returns (uint256 v) {
        for (uint256 i = 0; i < size; ++i) v |= uint256(uint8(data[at + i])) << (8 * i);
    }

    /// @dev IEEE 754 to fixed point: value = (2^m + mantissa) * 2^(exp - bias - m) for normal
    ///      numbers; subnormals are below 1e-18 for both widths and read as zero.
    function _floatToFixed(
        uint256 bits,
        uint256 expBits,
        uint256 manBits,
        uint256 index
    ) private pure returns (int256) {
        uint256 width = 1 + expBits + manBits;
        bool negative = (bits >> (width - 1)) & 1 == 1;
        uint256 exponent = (bits >> manBits) & ((1 << expBits) - 1);
        uint256 mantissa = bits & ((1 << manBits) - 1);
        if (exponent == (1 << expBits) - 1) revert NotRepresentable(index);
        if (exponent == 0) return 0;
        uint256 bias = (1 << (expBits - 1)) - 1;
        uint256 significand = (uint256(1) << manBits) | mantissa;
        uint256 scaled = significand * uint256(ONE);
        uint256 magnitude;
        if (exponent >= bias + manBits) {
            uint256 shift = exponent - bias - manBits;
            // significand * 1e18 < 2^113, so a shift up to 142 stays below 2^255 (no uint256
            // overflow); the int256 bound is checked below.
            if (shift > 142) revert NotRepresentable(index);
            magnitude = scaled << shift;
        } else {
            uint256 shift = bias + manBits - exponent;
            magnitude = shift >= 256 ? 0 : scaled >> shift;
        }
        if (magnitude > uint256(type(int256).max)) revert NotRepresentable(index);
        return negative ? -int256(magnitude) : int256(magnitude);
    }

    function _lessThan(bytes memory a, bytes memory b) private pure returns (bool) {
        uint256 n = a.length < b.length ? a.length : b.length;
        for (uint256 i = 0; i < n; ++i) {
            if (a[i] != b[i]) return uint8(a[i]) < uint8(b[i]);
        }
        return a.length < b.length;
    }
}
