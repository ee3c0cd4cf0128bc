// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title TraceMerkle
/// @notice The refereed dispute's tensor commitments (issue 15), byte for byte as docs/REFEREE.md "Trees" and
///         "Range proofs" fix them and as packages/node/src/referee/commit.ts builds them: 1,024-byte leaves
///         hashed `sha256(0x00 || leaf)`, 16-ary nodes `sha256(0x01 || c0 || ... || c15)` (a child past a
///         level's width is `bytes32(0)`), range proofs of contiguous leaves, and a run's trace root
///         `sha256(0x02 || root(tensor 0) || ... || root(tensor n))`.
/// @dev SHA-256 is Solidity's `sha256` builtin, a static call to the 0x02 precompile, so every function stays
///      `pure`. Hashing reuses two memory buffers (one leaf, one node) instead of allocating per hash. The
///      loops are bounded: a proof's depth by MAX_DEPTH and its leaves by MAX_PROOF_LEAVES, so one proof
///      hashes at most 64 leaves and 8 * 5 nodes.
library TraceMerkle {
    /// @notice Bytes in one leaf.
    uint256 internal constant LEAF_BYTES = 1024;
    /// @notice Children of one node.
    uint256 internal constant ARITY = 16;
    /// @notice The deepest tree a proof may be checked in: 16^8 leaves (4 TiB), past any tensor.
    uint256 internal constant MAX_DEPTH = 8;
    /// @notice The most leaves one proof may open (64 KiB of calldata).
    uint256 internal constant MAX_PROOF_LEAVES = 64;

    /// @notice Thrown when a single leaf is not exactly 1,024 bytes.
    error LeafNotWhole(uint256 length);
    /// @notice Thrown when a proof opens no leaf.
    error EmptyRange();
    /// @notice Thrown when a proof opens more than MAX_PROOF_LEAVES leaves.
    error TooManyLeaves(uint256 count, uint256 max);
    /// @notice Thrown when a proof is checked in a tree deeper than MAX_DEPTH.
    error DepthTooLarge(uint256 depth, uint256 max);
    /// @notice Thrown when leaves `first .. first + count - 1` do not all lie among the 16^depth positions of the tree.
    error RangePastDepth(uint256 first, uint256 count, uint256 depth);
    /// @notice Thrown when a proof runs out of sibling hashes before reaching the root (`given` were supplied).
    error SiblingsMissing(uint256 given);
    /// @notice Thrown when a proof reaches the root with `left` sibling hashes unused.
    error SiblingsLeft(uint256 left);
    /// @notice Thrown when the root a proof computes is not the committed one.
    error RootMismatch(bytes32 expected, bytes32 computed);

    /// @notice `sha256(0x00 || leaf)` of one 1,024-byte leaf.
    /// @param leaf The leaf's bytes, exactly LEAF_BYTES of them.
    /// @return h The leaf hash.
    function leafHash(bytes calldata leaf) internal pure returns (bytes32 h) {
        // INVARIANT: a leaf hash always covers 1,025 bytes, so leaves of other sizes cannot collide with it.
        if (leaf.length != LEAF_BYTES) revert LeafNotWhole(leaf.length);
        bytes memory buf = new bytes(LEAF_BYTES + 1); // buf[0] = 0x00, the leaf prefix
        h = _hashLeaf(buf, leaf, 0);
    }

    /// @notice `sha256(0x01 || c0 || ... || c15)` of a node's 16 children.
    /// @param children The children's hashes, `bytes32(0)` for positions past a level's width.
    /// @return h The node hash.
    function nodeHash(bytes32[16] memory children) internal pure returns (bytes32 h) {
        h = sha256(abi.encodePacked(bytes1(0x01), children));
    }

    /// @notice A run's trace root: `sha256(0x02 || roots[0] || ... || roots[n])`.
    /// @param roots The roots of tensors 0 .. n (the input, then each step's output).
    /// @return h The trace root.
    function traceRoot(bytes32[] calldata roots) internal pure returns (bytes32 h) {
        h = sha256(abi.encodePacked(bytes1(0x02), roots));
    }

    /// @notice The depth of a tensor's tree from its size alone: the least `d` with `16^d >= L`,
    ///         `L = max(1, ceil(byteLength / 1024))` leaves.
    /// @param byteLength The tensor's committed size in bytes.
    /// @return depth The tree's depth (0 for a single leaf).
    function depthFor(uint256 byteLength) internal pure returns (uint256 depth) {
        uint256 leaves = byteLength / LEAF_BYTES + (byteLength % LEAF_BYTES == 0 ? 0 : 1);
        // L < 2^247, so width stops at most at 16^62 = 2^248: neither the shift nor the count overflows.
        unchecked {
            for (uint256 width = 1; width < leaves; width <<= 4) ++depth;
        }
    }

    /// @notice Checks a range proof against a committed root; reverts with the reason when it fails.
    /// @param root The committed root of the tensor's tree.
    /// @param depth The tree's depth (known from the tensor's static shape; see depthFor).
    /// @param first The index of the first opened leaf.
    /// @param leaves The opened leaves, in order; the last may leave out trailing zeros (zero-extended).
    /// @param siblings The sibling hashes, in the order docs/REFEREE.md "Range proofs" gives.
    function requireRange(
        bytes32 root,
        uint256 depth,
        uint256 first,
        bytes calldata leaves,
        bytes32[] calldata siblings
    ) internal pure {
        bytes32 computed = computeRoot(depth, first, leaves, siblings);
        // INVARIANT: the opened leaves are the committed tensor's, at the claimed positions.
        if (computed != root) revert RootMismatch(root, computed);
    }

    /// @notice The root a range proof computes (equal to the committed root exactly when the proof holds).
    /// @dev Level by level, bottom up: the known nodes are one run `[lo, hi]`; each parent `p` in
    ///      `[lo / 16, hi / 16]` is hashed from its 16 children, taking a known node where the child is in
    ///      the run and the next sibling otherwise. Reverts on a malformed proof: a bad depth, leaf bytes
    ///      or range, too few siblings, or siblings left over.
    /// @param depth The tree's depth, at most MAX_DEPTH.
    /// @param first The index of the first opened leaf.
    /// @param leaves The opened leaves, 1 to MAX_PROOF_LEAVES of them, the last possibly short (zero-extended).
    /// @param siblings The sibling hashes; every one must be used.
    /// @return root The computed root.
    function computeRoot(
        uint256 depth,
        uint256 first,
        bytes calldata leaves,
        bytes32[] calldata siblings
    ) internal pure returns (bytes32 root) {
        // INVARIANT: the level loop below runs at most MAX_DEPTH times.
        if (depth > MAX_DEPTH) revert DepthTooLarge(depth, MAX_DEPTH);
        // The last leaf may come short: it is zero-extended to 1,024 bytes (a prover may leave out
        // its trailing zeros, which calldata charges for; leaving out anything else changes its hash).
        uint256 count = (leaves.length + LEAF_BYTES - 1) / LEAF_BYTES;
        // INVARIANT: a proof opens at least one leaf, so the run [lo, hi] is never empty.
        if (count == 0) revert EmptyRange();
        // INVARIANT: the leaf loop and the memory it uses are bounded.
        if (count > MAX_PROOF_LEAVES) revert TooManyLeaves(count, MAX_PROOF_LEAVES);
        // INVARIANT: the range lies within the 16^depth <= 2^32 positions, so `depth` levels leave one node.
        if (first >= 1 << (4 * depth) || count > (1 << (4 * depth)) - first) revert RangePastDepth(first, count, depth);

        bytes32[] memory level = _hashLeaves(leaves, count);
        uint256 used = _climb(level, depth, first, first + count - 1, siblings);
        // INVARIANT: every sibling is consumed; a proof cannot carry data the root does not commit to.
        if (used != siblings.length) revert SiblingsLeft(siblings.length - used);
        root = level[0];
    }

    /// @notice The leaf hashes of `count` whole leaves, through one reused 1,025-byte buffer.
    /// @param leaves The leaves' bytes, more than `(count - 1) * 1024` and at most `count * 1024` of them.
    /// @param count The number of leaves, at most MAX_PROOF_LEAVES.
    /// @return level The leaf hashes, in order.
    function _hashLeaves(bytes calldata leaves, uint256 count) private pure returns (bytes32[] memory level) {
        level = new bytes32[](count);
        bytes memory buf = new bytes(LEAF_BYTES + 1); // buf[0] = 0x00, the leaf prefix
        for (uint256 i = 0; i < count; ++i) level[i] = _hashLeaf(buf, leaves, i * LEAF_BYTES);
    }

    /// @notice Hashes a run of known nodes `[lo, hi]` up `depth` levels, in place in `level`.
    /// @dev Parent `p`'s children are three contiguous runs: siblings for positions `16p .. a - 1`, known nodes
    ///      `a .. b` (`a = max(16p, lo)`, `b = min(16p + 15, hi)`), siblings for `b + 1 .. 16p + 15`. Each run is
    ///      copied whole into the node buffer (calldatacopy or mcopy), instead of one child at a time.
    /// @param level The run's hashes (level[0] is position lo); on return level[0] is the single node on top.
    /// @param depth The number of levels to climb, at most MAX_DEPTH.
    /// @param lo The run's first position.
    /// @param hi The run's last position, with `hi < 16^depth`.
    /// @param siblings The proof's sibling hashes, read in order.
    /// @return used The number of siblings read.
    function _climb(
        bytes32[] memory level,
        uint256 depth,
        uint256 lo,
        uint256 hi,
        bytes32[] calldata siblings
    ) private pure returns (uint256 used) {
        bytes memory nodeBuf = new bytes(1 + ARITY * 32);
        nodeBuf[0] = 0x01;
        // hi < 16^depth <= 2^32 and depth <= 8: the shifts and increments cannot overflow; p >= plo.
        unchecked {
            for (uint256 climbed = 0; climbed < depth; ++climbed) {
                uint256 plo = lo >> 4;
                uint256 phi = hi >> 4;
                for (uint256 p = plo; p <= phi; ++p) {
                    used = _fillNode(level, lo, hi, siblings, used, nodeBuf, p);
                    // Every child of p read from level sat at index >= p - plo, so writing in place is safe.
                    level[p - plo] = sha256(nodeBuf);
                }
                lo = plo;
                hi = phi;
            }
        }
    }

    /// @notice Writes parent `p`'s 16 children into `nodeBuf`: siblings for positions `16p .. a - 1`, the known
    ///         nodes `a .. b` (`a = max(16p, lo)`, `b = min(16p + 15, hi)`), siblings for `b + 1 .. 16p + 15`.
    /// @dev The parameters are in the order of their depth in `_climb`'s stack, so the call fits the 16 reachable slots.
    /// @param level The known nodes; level[0] is position lo.
    /// @param lo The first known position.
    /// @param hi The last known position.
    /// @param siblings The proof's sibling hashes.
    /// @param used The number of siblings read so far.
    /// @param nodeBuf A 513-byte buffer `0x01 || c0 || ... || c15`.
    /// @param p The parent's position, in `[lo / 16, hi / 16]`.
    /// @return The number of siblings read after this parent.
    function _fillNode(
        bytes32[] memory level,
        uint256 lo,
        uint256 hi,
        bytes32[] calldata siblings,
        uint256 used,
        bytes memory nodeBuf,
        uint256 p
    ) private pure returns (uint256) {
        uint256 start;
        uint256 a;
        uint256 known;
        // p <= hi / 16 < 2^28, so 16p + 15 cannot overflow; a >= 16p, a >= lo and b >= a make every
        // difference non-negative; 1 <= known <= 16; used <= siblings.length.
        unchecked {
            start = p << 4;
            a = start > lo ? start : lo;
            known = (start + 15 < hi ? start + 15 : hi) - a + 1;
            // INVARIANT: only siblings the proof supplied are read (calldatacopy past them would read other
            // calldata or zeros, never revert).
            if (siblings.length - used < 16 - known) revert SiblingsMissing(siblings.length);
        }
        uint256 knownAt;
        // The address of level[a - lo], the first known child: a - lo <= hi - lo, inside the run level holds.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            knownAt := add(add(level, 32), shl(5, sub(a, lo)))
        }
        // Writes exactly content bytes 1 .. 512 of nodeBuf (16 children of 32 bytes); reads siblings checked
        // present just above and `known` level entries from knownAt, inside the run [lo, hi] that level holds.
        // No memory outside these two allocations is touched.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let out := add(nodeBuf, 33)
            let left := sub(a, start)
            let src := add(siblings.offset, shl(5, used))
            calldatacopy(out, src, shl(5, left))
            mcopy(add(out, shl(5, left)), knownAt, shl(5, known))
            let done := add(left, known)
            calldatacopy(add(out, shl(5, done)), add(src, shl(5, left)), shl(5, sub(16, done)))
        }
        return used + 16 - known;
    }

    /// @notice `sha256(0x00 || data[offset : offset + 1024])`, through a reused 1,025-byte buffer; a
    ///         leaf that `data` ends inside is zero-extended to 1,024 bytes.
    /// @param buf A buffer of LEAF_BYTES + 1 bytes whose first byte is 0x00.
    /// @param data The calldata holding the leaf.
    /// @param offset The leaf's offset in `data`; the caller checks `offset < data.length`.
    /// @return h The leaf hash.
    function _hashLeaf(bytes memory buf, bytes calldata data, uint256 offset) private pure returns (bytes32 h) {
        uint256 available = data.length - offset;
        // Writes only buf's bytes 1 .. 1,024, inside buf's allocation; reads only `data`'s own bytes
        // (the leaf's, or the `available` bytes it has left when it ends inside this leaf).
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            if lt(available, LEAF_BYTES) {
                // A short last leaf: zero the buffer first (calldatacopy from past calldata's end
                // writes zeros), then copy the bytes given.
                calldatacopy(add(buf, 33), calldatasize(), LEAF_BYTES)
                calldatacopy(add(buf, 33), add(data.offset, offset), available)
            }
            if iszero(lt(available, LEAF_BYTES)) {
                calldatacopy(add(buf, 33), add(data.offset, offset), LEAF_BYTES)
            }
        }
        h = sha256(buf);
    }
}
