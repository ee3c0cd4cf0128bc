// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SumTree
/// @notice A Fenwick (binary indexed) tree of node weights: set a weight and draw a node with
///         probability proportional to its weight, both in O(log n) storage reads, never a loop
///         over all nodes. Draws can exclude a short list of nodes without touching storage.
/// @dev Leaves are 1-based; a node keeps its leaf forever (a weight of zero marks it inactive), so
///      the number of leaves only grows with the number of distinct nodes that ever staked.
library SumTree {
    /// @notice Thrown when a draw is asked of a tree (after exclusions) with no weight left.
    error EmptyTree();
    /// @notice Thrown when the tree already holds `MAX_LEAVES` distinct nodes.
    error TreeFull(uint256 maxLeaves);

    /// @dev 2^32 leaves: far beyond any staked set, and it bounds every loop below to 32 rounds.
    uint256 internal constant MAX_LEAVES = 1 << 32;

    /// @dev One leaf: its node and weight share a slot, so a draw reads both at once.
    struct Leaf {
        address node;
        uint96 weight;
    }

    struct Tree {
        uint64 size; // leaves in use, 1..size; shares a slot with `total`
        uint192 total; // sum of all weights
        mapping(uint256 index => uint256) partialSums; // Fenwick node i covers (i - lowbit(i), i]
        mapping(uint256 index => Leaf) leaves;
        mapping(address node => uint256 index) indexOf;
    }

    /// @notice Sets `node`'s weight, giving it a leaf the first time it has a non-zero weight.
    /// @dev `weight` fits 96 bits (stakes are uint96), so `total` (at most 2^32 leaves) fits 192.
    function set(Tree storage tree, address node, uint96 weight) internal {
        uint256 index = tree.indexOf[node];
        if (index == 0) {
            if (weight == 0) return;
            _append(tree, node, weight);
            return;
        }
        uint96 old = tree.leaves[index].weight;
        if (old == weight) return;
        tree.leaves[index].weight = weight;
        uint256 size = tree.size;
        if (weight > old) {
            uint96 delta = weight - old;
            tree.total += delta;
            for (uint256 i = index; i <= size; i += _lowbit(i)) tree.partialSums[i] += delta;
        } else {
            uint96 delta = old - weight;
            tree.total -= delta;
            for (uint256 i = index; i <= size; i += _lowbit(i)) tree.partialSums[i] -= delta;
        }
    }

    /// @notice The weight `node` holds in the tree (zero when absent).
    function weightOf(Tree storage tree, address node) internal view returns (uint256) {
        uint256 index = tree.indexOf[node];
        return index == 0 ? 0 : tree.leaves[index].weight;
    }

    /// @notice Draws the leaf whose cumulative range holds `point`, skipping the leaves in
    ///         `excluded[0..excludedCount)` as if their weight were zero.
    /// @param point A number below `total - excludedWeight`.
    /// @param excluded Leaf indices to skip; entries past `excludedCount` are ignored.
    /// @param excludedWeights The weights of those leaves, in the same order.
    function search(
        Tree storage tree,
        uint256 point,
        uint256[] memory excluded,
        uint256[] memory excludedWeights,
        uint256 excludedCount
    ) internal view returns (uint256 index) {
        uint256 size = tree.size;
        uint256 step = _highestPowerOfTwo(size);
        uint256 pos = 0;
        // Classic Fenwick descent; the effective partial sum of a range subtracts the excluded
        // leaves inside it, so the search lands only on leaves with effective weight > 0.
        while (step != 0) {
            uint256 next = pos + step;
            if (next <= size) {
                uint256 sum = tree.partialSums[next];
                for (uint256 j = 0; j < excludedCount; ++j) {
                    uint256 e = excluded[j];
                    if (e > pos && e <= next) sum -= excludedWeights[j];
                }
                if (sum <= point) {
                    pos = next;
                    point -= sum;
                }
            }
            step >>= 1;
        }
        return pos + 1;
    }

    function _append(Tree storage tree, address node, uint96 weight) private {
        uint256 index = uint256(tree.size) + 1;
        if (index >= MAX_LEAVES) revert TreeFull(MAX_LEAVES);
        tree.size = uint64(index);
        tree.total += weight;
        tree.indexOf[node] = index;
        tree.leaves[index] = Leaf({node: node, weight: weight});
        // Node `index` covers (index - lowbit(index), index]: its own weight plus the Fenwick nodes
        // that tile the rest of that range, which all exist already since they are smaller.
        uint256 sum = weight;
        uint256 stop = index - _lowbit(index);
        for (uint256 j = index - 1; j > stop; j -= _lowbit(j)) sum += tree.partialSums[j];
        tree.partialSums[index] = sum;
    }

    function _lowbit(uint256 i) private pure returns (uint256) {
        unchecked {
            // Two's complement trick; i > 0 everywhere this is called, and i < 2^32.
            return i & (~i + 1);
        }
    }

    function _highestPowerOfTwo(uint256 n) private pure returns (uint256 p) {
        if (n == 0) return 0;
        p = 1;
        while (p <= n >> 1) p <<= 1;
    }
}
