// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title BlockHeader
/// @notice Reads the mixHash (field 13; `prevrandao` since the merge) of an RLP-encoded block header.
/// @dev Callers check keccak256(header) against a block hash first, so the input is a real header;
///      the bounds checks here only make sure no input reads past its end.
library BlockHeader {
    /// @notice Index of mixHash in the header list (parentHash is 0).
    uint256 internal constant MIX_HASH_FIELD = 13;

    /// @notice Thrown when the header is not an RLP list of byte strings at least up to mixHash;
    ///         `offset` is where decoding stopped.
    error MalformedHeader(uint256 offset);

    /// @notice The header's mixHash.
    /// @param header The RLP encoding of the block header.
    /// @return mixHash Field 13 of the header list.
    function mixHashOf(bytes calldata header) internal pure returns (bytes32 mixHash) {
        // A header is always longer than 55 bytes, so it is a long list: 0xf8..0xff, then the length.
        if (header.length == 0 || uint8(header[0]) < 0xf8) revert MalformedHeader(0);
        uint256 offset = 1 + uint8(header[0]) - 0xf7;
        // INVARIANT: the list covers exactly the input, so no trailing bytes hide behind the hash.
        if (offset > header.length || offset + _readLength(header, 1, offset - 1) != header.length) {
            revert MalformedHeader(0);
        }
        for (uint256 i = 0; i < MIX_HASH_FIELD; ++i) offset = _skipString(header, offset);
        // INVARIANT: mixHash is a 32-byte string (prefix 0x80 + 32).
        if (offset + 33 > header.length || uint8(header[offset]) != 0xa0) revert MalformedHeader(offset);
        mixHash = bytes32(header[offset + 1:offset + 33]);
    }

    /// @dev The offset after the byte string that starts at `offset`.
    function _skipString(bytes calldata header, uint256 offset) private pure returns (uint256 next) {
        if (offset >= header.length) revert MalformedHeader(offset);
        uint256 prefix = uint8(header[offset]);
        if (prefix < 0x80) {
            next = offset + 1;
        } else if (prefix < 0xb8) {
            next = offset + 1 + prefix - 0x80;
        } else if (prefix < 0xc0) {
            uint256 lengthBytes = prefix - 0xb7;
            if (offset + 1 + lengthBytes > header.length) revert MalformedHeader(offset);
            next = offset + 1 + lengthBytes + _readLength(header, offset + 1, lengthBytes);
        } else {
            revert MalformedHeader(offset); // a list where the header has a byte string
        }
        if (next > header.length) revert MalformedHeader(offset);
    }

    /// @dev The big-endian number in header[start:start + size], size <= 8 (so no sum overflows).
    function _readLength(bytes calldata header, uint256 start, uint256 size) private pure returns (uint256) {
        return uint256(bytes32(header[start:start + size])) >> (256 - 8 * size);
    }
}
