// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TensorCodec} from "./TensorCodec.sol";
import {TraceMerkle} from "./TraceMerkle.sol";

/// @title TraceBinding
/// @notice Binds a refereed trace to a job's own bytes (issue 15): the root of tensor 0 is computed
///         from the job's canonical input, and the root of the last tensor from its canonical output,
///         so that an honest trace cannot stand beside a wrong output and a trace of another input is
///         refused. The bytes committed are docs/REFEREE.md's activation layout, the same as
///         packages/node/src/referee/commit.ts `encodeActivation`: elements packed densely, a rank-4
///         `[N, C, H, W]` tensor in channels-last `(n, h, w, c)` order, int32 big-endian (the tensor
///         codec stores values little-endian), then 1,024-byte leaves in the 16-ary SHA-256 tree.
/// @dev Anyone may call it with the bytes whose keccak256 the job holds; it is pure. A refereed job's
///      input or output is one integer tensor (uint8, int8 or int32) of at most MAX_BOUND_BYTES
///      committed bytes, so the loops are bounded: at most 16,384 elements and 16 leaves.
library TraceBinding {
    /// @notice The largest committed tensor a binding hashes: refereed jobs take inline inputs of at most 16 KiB.
    uint256 internal constant MAX_BOUND_BYTES = 16 * 1024;

    /// @notice Thrown when the map does not hold exactly one tensor (a refereed program has one input and one output).
    error NotOneTensor(uint256 count);
    /// @notice Thrown when the tensor's dtype is not an integer type a trace commits (uint8, int8, int32).
    error NotCommittable(uint8 dtype);
    /// @notice Thrown when the tensor's committed bytes exceed MAX_BOUND_BYTES.
    error TooLargeToBind(uint256 size, uint256 maximum);

    /// @notice The root of the one tensor of a canonical tensor map, in the trace's layout.
    /// @param encoded The canonical tensor map (TensorCodec), e.g. a job's input or output bytes.
    /// @return root The tensor's tree root, as the defender's trace must hold it.
    /// @return tensor The decoded tensor (dtype and shape, for a caller that checks them against a program).
    function ioRoot(bytes memory encoded) internal pure returns (bytes32 root, TensorCodec.Tensor memory tensor) {
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(encoded);
        // INVARIANT: a refereed input or output is one tensor, so the map names the trace's tensor unambiguously.
        if (tensors.length != 1) revert NotOneTensor(tensors.length);
        tensor = tensors[0];
        root = rootOf(committedBytes(encoded, tensor));
    }

    /// @notice A tensor's committed bytes: channels-last for rank 4, int32 big-endian.
    /// @param encoded The canonical tensor map holding `t`.
    /// @param t The tensor, as TensorCodec decoded it from `encoded`.
    /// @return out The bytes the trace commits for it.
    function committedBytes(
        bytes memory encoded,
        TensorCodec.Tensor memory t
    ) internal pure returns (bytes memory out) {
        uint256 size;
        // INVARIANT: a trace commits integer tensors only; floats and int64 have no committed layout.
        if (t.dtype == TensorCodec.UINT8 || t.dtype == TensorCodec.INT8) size = 1;
        else if (t.dtype == TensorCodec.INT32) size = 4;
        else revert NotCommittable(t.dtype);
        uint256 total = t.count * size;
        // INVARIANT: the hashing below is bounded by MAX_BOUND_BYTES.
        if (total > MAX_BOUND_BYTES) revert TooLargeToBind(total, MAX_BOUND_BYTES);
        uint256 offset = t.offset;
        // The values in the trace's byte order, row-major: the map's bytes, each int32 reversed.
        bytes memory ordered = new bytes(total);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let src := add(add(encoded, 32), offset)
            let dst := add(ordered, 32)
            switch size
            case 1 {
                mcopy(dst, src, total)
            }
            default {
                // Eight int32 a word: swap the bytes of each 16-bit pair, then the pairs of each
                // 32-bit lane. The last word may read past the values and write past `ordered`'s
                // end, into memory not allocated yet (nothing is allocated after it here).
                let m8 := 0xff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00
                let m16 := 0xffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000
                for {
                    let o := 0
                } lt(o, total) {
                    o := add(o, 32)
                } {
                    let x := mload(add(src, o))
                    x := or(shr(8, and(x, m8)), shl(8, and(x, not(m8))))
                    x := or(shr(16, and(x, m16)), shl(16, and(x, not(m16))))
                    mstore(add(dst, o), x)
                }
            }
        }
        // Rank 4 with more than one channel and more than one pixel is the only permuted layout.
        if (!(t.shape.length == 4 && t.shape[1] > 1 && uint256(t.shape[2]) * t.shape[3] > 1)) return ordered;
        return _channelsLast(ordered, size, t.shape[0], t.shape[1], uint256(t.shape[2]) * t.shape[3]);
    }

    /// @notice The 16-ary SHA-256 root of `data` cut into 1,024-byte leaves (the last zero-padded).
    /// @param data At most MAX_BOUND_BYTES bytes.
    /// @return root The root (the leaf hash itself for a single leaf).
    function rootOf(bytes memory data) internal pure returns (bytes32 root) {
        // INVARIANT: at most 16 leaves: one level of nodes above them.
        if (data.length > MAX_BOUND_BYTES) revert TooLargeToBind(data.length, MAX_BOUND_BYTES);
        uint256 leaves = data.length == 0 ? 1 : (data.length + TraceMerkle.LEAF_BYTES - 1) / TraceMerkle.LEAF_BYTES;
        bytes32[16] memory children;
        bytes memory buf = new bytes(TraceMerkle.LEAF_BYTES + 1); // buf[0] = 0x00, the leaf prefix
        for (uint256 leaf = 0; leaf < leaves; ++leaf) {
            uint256 start = leaf * TraceMerkle.LEAF_BYTES;
            uint256 end = start + TraceMerkle.LEAF_BYTES;
            if (end > data.length) end = data.length;
            uint256 len = end - start;
            // buf[1 ..] = data[start .. end], then zeros to the leaf's end (only the last leaf is short).
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                let dst := add(buf, 33)
                mcopy(dst, add(add(data, 32), start), len)
                let pad := sub(1024, len)
                if pad {
                    // calldatacopy past the end of calldata writes zeros.
                    calldatacopy(add(dst, len), calldatasize(), pad)
                }
            }
            children[leaf] = sha256(buf);
        }
        root = leaves == 1 ? children[0] : TraceMerkle.nodeHash(children);
    }

    /// @dev Channels-last: `out` walks (n, q, ch) in order and reads row-major (n, ch, q). Each write
    ///      stores a whole word of which only `size` bytes count; the next writes cover the rest, and
    ///      the last one ends past `out`, in memory not allocated yet.
    function _channelsLast(
        bytes memory ordered,
        uint256 size,
        uint256 images,
        uint256 c,
        uint256 plane
    ) private pure returns (bytes memory out) {
        out = new bytes(ordered.length);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let dst := add(out, 32)
            let from := add(ordered, 32)
            let channelStride := mul(plane, size)
            let imageStride := mul(channelStride, c)
            let pixelBytes := mul(c, size)
            for {
                let n := 0
            } lt(n, images) {
                n := add(n, 1)
            } {
                let image := add(from, mul(n, imageStride))
                for {
                    let q := 0
                } lt(q, plane) {
                    q := add(q, 1)
                } {
                    let src := add(image, mul(q, size))
                    for {
                        let pixelEnd := add(dst, pixelBytes)
                    } lt(dst, pixelEnd) {
                        dst := add(dst, size)
                    } {
                        mstore(dst, mload(src))
                        src := add(src, channelStride)
                    }
                }
            }
        }
    }
}
