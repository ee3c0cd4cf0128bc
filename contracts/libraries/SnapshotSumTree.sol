// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title SnapshotSumTree
/// @notice A Fenwick (binary indexed) tree of node weights that also answers "what were the weights
///         at the start of epoch s": a draw fixed to a snapshot epoch chosen before its randomness is
///         known cannot be steered by staking, unstaking or joining once the randomness is public.
/// @dev Leaves are 1-based; a node keeps its leaf forever (a weight of zero marks it inactive).
///
///      THE CELL. Every stored quantity (each leaf's weight, each Fenwick partial sum, the total
///      and the number of leaves) is a "cell" written only by `set`, at the caller's epoch, which
///      never goes back. Write f(s) for the cell's value at the start of epoch s, that is its value
///      after every write made in an epoch < s. A cell stores
///        value   its live value (after every write);
///        last    the epoch of its latest write (0 if never written);
///        atLast  f(last);
///        prev, atPrev  if prev == last - 1 then atPrev == f(last - 1); otherwise the cell was
///                not written in epoch last - 1 (so f(last - 1) == f(last)).
///      A write at epoch e >= last does: if e > last { if e == last + 1 { (prev, atPrev) =
///      (last, atLast) } atLast = value; last = e }; value = new value.
///
///      INVARIANTS kept by that write (by induction over writes; all zero holds them at the start):
///      (I1) atLast == f(last): writes in epoch `last` do not move f(last); when e > last, every
///           earlier write is in an epoch <= old last < e, so f(e) is the old `value`.
///      (I2) prev <= last, and prev == last - 1 only if the cell was written in epoch last - 1,
///           in which case atPrev == f(last - 1): (prev, atPrev) is only ever set to (old last,
///           f(old last)) by a write at old last + 1; otherwise it keeps a prev <= old last - 1
///           < e - 1 (or the initial 0, which equals e - 1 only when e == 1, and then atPrev == 0
///           == f(0), since nothing precedes epoch 0).
///
///      READING f(s) (`_readHeader`, `_readNode`, `_readLeaf`):
///        s >  last       -> value  (every write is in an epoch <= last < s);
///        s == last       -> atLast (I1);
///        s == last - 1   -> atPrev if prev == s (I2), else atLast: the cell was not written in
///                           epoch last - 1, so f(last - 1) == f(last);
///        s <  last - 1   -> not answerable: ok = false, never a guess.
///
///      THE GUARANTEE. f(s) is answerable exactly when s >= last - 1, i.e. when the cell was not
///      written after epoch s + 1. Since every write happens at an epoch <= the current epoch c, a
///      snapshot of epoch s is answerable for every cell, whatever the writes, while c <= s + 1:
///      from the start of epoch s to the end of epoch s + 1. Afterwards it stays answerable for
///      the cells nobody wrote since epoch s + 1, and answers ok = false for the others.
///
///      WHAT A CALLER SEES. Every `set` that changes anything writes the header (total and size)
///      in its epoch, and leaves and nodes are only written together with it, so no cell's `last`
///      exceeds the header's. Hence `totalAt` and `drawAt` are ok exactly when s >= L - 1, L the
///      latest epoch the tree changed in, and `weightAt` exactly when s >= (the latest epoch that
///      node's weight changed in) - 1. Past epoch s + 1, whether a snapshot still answers depends on
///      what others wrote since: a caller must not let that choose an outcome (expire a draw at the
///      end of epoch s + 1 by the clock, not by `ok`).
///
///      WHY NOT THE TWO LATEST WRITE EPOCHS. Keeping f at the two latest distinct write epochs
///      answers s >= (second latest write epoch), more than s >= last - 1, but must move the older
///      generation into the second slot on the first write of every epoch. Keeping f(last - 1)
///      instead writes that slot only when a cell is written in two consecutive epochs: a change to
///      cells nobody wrote in the previous epoch writes the same slots as today's SumTree (and reads
///      one more header slot). Both give the same guarantee, which is the only thing a draw may rely
///      on; and the header, which every change writes, loses a snapshot of s in both designs as
///      soon as the tree changed in epochs s + 1 and s + 2, the common case for a busy tree.
///
///      FENWICK NODES. Node i holds the sum of the leaves (i - lowbit(i), i]; it is created when
///      leaf i is appended and is written whenever a leaf of its range changes, so f(s) is the
///      sum of the start-of-s weights of its range for every s after its creation epoch. A draw
///      at s reads only nodes <= size at the start of s, which were all created in epochs < s; a
///      node's value before its creation is never read (its `atLast` is still set exactly, to the
///      start-of-creation-epoch sum of its range).
///
///      BOUNDS. A weight is a uint96 and the total must fit a uint112 (`TotalOverflow`); each
///      partial sum is at most the total, so every cell fits its field.
library SnapshotSumTree {
    /// @notice Thrown when `set` is given an epoch older than the latest epoch the tree changed in.
    error EpochWentBack(uint32 epoch, uint32 latest);
    /// @notice Thrown when the tree already holds `MAX_LEAVES - 1` distinct nodes.
    error TreeFull(uint256 maxLeaves);
    /// @notice Thrown when a weight change would take the total past `max` (2^112 - 1).
    error TotalOverflow(uint256 total, uint256 max);
    /// @notice Thrown when a draw is asked for a point that is not below the snapshot's total.
    error PointOutOfRange(uint256 point, uint256 total);

    /// @dev 2^32 leaves: far beyond any staked set, and it bounds every loop below to 32 rounds.
    uint256 internal constant MAX_LEAVES = 1 << 32;

    /// @dev A Fenwick partial sum. Slot A (value 112 | atLast 112 | last 32) is written by every
    ///      change of a leaf in its range; slot B (atPrev 112 | prev 32) only by the first such
    ///      change in an epoch that directly follows the node's previous write epoch.
    struct Node {
        uint112 value;
        uint112 atLast;
        uint32 last;
        uint112 atPrev;
        uint32 prev;
    }

    /// @dev A leaf. Slot A (weight 96 | atLast 96 | last 32 | prev 32) is written by every change of
    ///      its weight; slot B (node 160 | atPrev 96) once at append, then only like a Node's slot B.
    ///      A draw reads slot B for the node it lands on.
    struct Leaf {
        uint96 weight;
        uint96 atLast;
        uint32 last;
        uint32 prev;
        address node;
        uint96 atPrev;
    }

    /// @dev The header: two cells, the total (`sum`) and the size (leaves in use), that share their epoch
    ///      tags. Every append changes the total (a leaf is only appended with a non-zero weight),
    ///      so the size is written only in epochs in which the total is, and the total's tags are
    ///      valid for both. Slot 0: sum 112 | sumAtLast 112 | last 32 (`last` is also the latest
    ///      epoch the tree changed in, checked by `set`); slot 1: sumAtPrev 112 | prev 32 |
    ///      size 32 | sizeAtLast 32 | sizeAtPrev 32.
    struct Tree {
        uint112 sum;
        uint112 sumAtLast;
        uint32 last;
        uint112 sumAtPrev;
        uint32 prev;
        uint32 size;
        uint32 sizeAtLast;
        uint32 sizeAtPrev;
        mapping(uint256 index => Node) nodes; // node i covers leaves (i - lowbit(i), i]
        mapping(uint256 index => Leaf) leaves;
        mapping(address node => uint256 index) indexOf;
    }

    /// @notice Sets `node`'s live weight at `epoch`, giving it a leaf the first time its weight is
    ///         non-zero. Snapshots of `epoch` and earlier do not see the change.
    /// @param epoch The caller's current epoch; never older than the epoch of the previous change.
    function set(Tree storage tree, address node, uint96 weight, uint32 epoch) internal {
        uint32 latest = tree.last;
        // INVARIANT: cells are written in non-decreasing epochs, which every snapshot answer rests on.
        if (epoch < latest) revert EpochWentBack(epoch, latest);
        uint256 index = tree.indexOf[node];
        if (index == 0) {
            if (weight == 0) return;
            _append(tree, node, weight, epoch);
            return;
        }
        Leaf storage leaf = tree.leaves[index];
        uint96 old = leaf.weight;
        if (old == weight) return;
        _writeLeaf(leaf, weight, epoch);
        uint256 size = tree.size;
        if (weight > old) {
            uint256 delta = weight - old;
            uint256 newTotal = uint256(tree.sum) + delta;
            // INVARIANT: the total, and so every partial sum (each at most the total), fits 112 bits.
            if (newTotal > type(uint112).max) revert TotalOverflow(newTotal, type(uint112).max);
            _writeHeader(tree, newTotal, size, epoch);
            for (uint256 i = index; i <= size; i += _lowbit(i)) {
                Node storage n = tree.nodes[i];
                _writeNode(n, uint256(n.value) + delta, epoch);
            }
        } else {
            uint256 delta = old - weight;
            _writeHeader(tree, tree.sum - delta, size, epoch);
            for (uint256 i = index; i <= size; i += _lowbit(i)) {
                Node storage n = tree.nodes[i];
                _writeNode(n, n.value - delta, epoch);
            }
        }
    }

    /// @notice The live weight of `node` (zero when it never had one).
    function weightOf(Tree storage tree, address node) internal view returns (uint256) {
        uint256 index = tree.indexOf[node];
        return index == 0 ? 0 : tree.leaves[index].weight;
    }

    /// @notice The live sum of all weights.
    function total(Tree storage tree) internal view returns (uint256) {
        return tree.sum;
    }

    /// @notice `node`'s weight at the start of epoch `s`.
    /// @dev Final once epoch `s` has begun. `ok` is always true while the current epoch is `s` or
    ///      `s + 1`; later it is false exactly when the node's weight changed after epoch `s + 1`.
    function weightAt(Tree storage tree, address node, uint32 s) internal view returns (bool ok, uint256 weight) {
        uint256 index = tree.indexOf[node];
        if (index == 0) return (true, 0);
        return _readLeaf(tree.leaves[index], s);
    }

    /// @notice The sum of all weights at the start of epoch `s`.
    /// @dev Final once epoch `s` has begun. `ok` is always true while the current epoch is `s` or
    ///      `s + 1`; later it is false exactly when the tree changed after epoch `s + 1`.
    function totalAt(Tree storage tree, uint32 s) internal view returns (bool ok, uint256 sum) {
        (ok, sum, ) = _readHeader(tree, s);
    }

    /// @notice The node whose cumulative range, in start-of-`s` weights and leaf order, holds
    ///         `point`: node k is drawn for points in [w1 + .. + w(k-1), w1 + .. + wk).
    /// @dev A Fenwick descent: at most 32 rounds of one or two storage reads. `ok` is always true
    ///      while the current epoch is `s` or `s + 1`; later it is false (and `node` zero) exactly
    ///      when the tree changed after epoch `s + 1`, like `totalAt`.
    /// @param point A number below `totalAt(s)`; reverts with `PointOutOfRange` otherwise.
    function drawAt(Tree storage tree, uint32 s, uint256 point) internal view returns (bool ok, address node) {
        (bool headerOk, uint256 sum, uint256 size) = _readHeader(tree, s);
        if (!headerOk) return (false, address(0));
        // INVARIANT: the descent lands on a leaf <= size only for points below the snapshot total.
        if (point >= sum) revert PointOutOfRange(point, sum);
        uint256 pos = 0;
        // Only nodes <= the snapshot's size are read: all were created before epoch `s`.
        for (uint256 step = _highestPowerOfTwo(size); step != 0; step >>= 1) {
            uint256 next = pos + step;
            if (next > size) continue;
            (bool nodeOk, uint256 partialSum) = _readNode(tree.nodes[next], s);
            // Cannot fail once the header answered: every write of a node also writes the header
            // in the same epoch, so node.last <= tree.last. Kept so that a lost snapshot can never
            // be read as a zero partial sum if that ever changes.
            if (!nodeOk) return (false, address(0));
            if (partialSum <= point) {
                pos = next;
                point -= partialSum;
            }
        }
        return (true, tree.leaves[pos + 1].node);
    }

    /// @dev Gives `node` the next leaf, with `weight` from `epoch` on, and creates the Fenwick node
    ///      of that leaf from the nodes that tile the rest of its range (all older, so all exist).
    function _append(Tree storage tree, address node, uint96 weight, uint32 epoch) private {
        uint256 index = uint256(tree.size) + 1;
        // INVARIANT: the size fits its uint32 field and every loop stays within 32 rounds.
        if (index >= MAX_LEAVES) revert TreeFull(MAX_LEAVES);
        uint256 newTotal = uint256(tree.sum) + weight;
        // INVARIANT: the total, and so every partial sum (each at most the total), fits 112 bits.
        if (newTotal > type(uint112).max) revert TotalOverflow(newTotal, type(uint112).max);
        _writeHeader(tree, newTotal, index, epoch);
        tree.indexOf[node] = index;
        Leaf storage leaf = tree.leaves[index];
        // The leaf weighed nothing at the start of `epoch` (and before): atLast = 0, prev = 0.
        leaf.weight = weight;
        leaf.last = epoch;
        leaf.node = node;
        uint256 sum = weight;
        uint256 sumAtEpoch = 0; // the range's weights at the start of `epoch`; leaf `index` had none
        uint256 stop = index - _lowbit(index);
        for (uint256 j = index - 1; j > stop; j -= _lowbit(j)) {
            Node storage n = tree.nodes[j];
            uint256 value = n.value;
            sum += value;
            // n.last <= epoch (written by an earlier `set`), so f(epoch) is atLast or value.
            sumAtEpoch += n.last == epoch ? n.atLast : value;
        }
        Node storage created = tree.nodes[index];
        // Both sums are at most the new total, which fits 112 bits (checked above).
        created.value = uint112(sum);
        created.atLast = uint112(sumAtEpoch);
        created.last = epoch;
    }

    /// @dev Writes the header cells (total and size) at `epoch` (>= tree.last, checked by `set`).
    function _writeHeader(Tree storage tree, uint256 newTotal, uint256 newSize, uint32 epoch) private {
        uint32 last = tree.last;
        if (epoch != last) {
            if (uint256(last) + 1 == epoch) {
                tree.sumAtPrev = tree.sumAtLast;
                tree.sizeAtPrev = tree.sizeAtLast;
                tree.prev = last;
            }
            tree.sumAtLast = tree.sum;
            tree.sizeAtLast = tree.size;
            tree.last = epoch;
        }
        // newTotal was checked against 2^112 - 1 (or is a decrease); newSize < MAX_LEAVES = 2^32.
        tree.sum = uint112(newTotal);
        tree.size = uint32(newSize);
    }

    /// @dev Writes a Fenwick node's value at `epoch` (>= its last write epoch).
    function _writeNode(Node storage n, uint256 value, uint32 epoch) private {
        uint32 last = n.last;
        if (epoch != last) {
            if (uint256(last) + 1 == epoch) {
                n.atPrev = n.atLast;
                n.prev = last;
            }
            n.atLast = n.value;
            n.last = epoch;
        }
        // A partial sum is at most the total, which fits 112 bits.
        n.value = uint112(value);
    }

    /// @dev Writes a leaf's weight at `epoch` (>= its last write epoch).
    function _writeLeaf(Leaf storage leaf, uint96 weight, uint32 epoch) private {
        uint32 last = leaf.last;
        if (epoch != last) {
            if (uint256(last) + 1 == epoch) {
                leaf.atPrev = leaf.atLast;
                leaf.prev = last;
            }
            leaf.atLast = leaf.weight;
            leaf.last = epoch;
        }
        leaf.weight = weight;
    }

    /// @dev The header cells at the start of `s`: see READING f(s) above.
    function _readHeader(Tree storage tree, uint32 s) private view returns (bool ok, uint256 sum, uint256 size) {
        uint32 last = tree.last;
        if (s > last) return (true, tree.sum, tree.size);
        if (s == last) return (true, tree.sumAtLast, tree.sizeAtLast);
        if (uint256(s) + 1 != last) return (false, 0, 0);
        if (tree.prev == s) return (true, tree.sumAtPrev, tree.sizeAtPrev);
        return (true, tree.sumAtLast, tree.sizeAtLast);
    }

    /// @dev A Fenwick node at the start of `s`: see READING f(s) above.
    function _readNode(Node storage n, uint32 s) private view returns (bool ok, uint256 value) {
        uint32 last = n.last;
        if (s > last) return (true, n.value);
        if (s == last) return (true, n.atLast);
        if (uint256(s) + 1 != last) return (false, 0);
        return (true, n.prev == s ? n.atPrev : n.atLast);
    }

    /// @dev A leaf's weight at the start of `s`: see READING f(s) above.
    function _readLeaf(Leaf storage leaf, uint32 s) private view returns (bool ok, uint256 weight) {
        uint32 last = leaf.last;
        if (s > last) return (true, leaf.weight);
        if (s == last) return (true, leaf.atLast);
        if (uint256(s) + 1 != last) return (false, 0);
        return (true, leaf.prev == s ? leaf.atPrev : leaf.atLast);
    }

    /// @dev The lowest set bit of `i`.
    function _lowbit(uint256 i) private pure returns (uint256) {
        unchecked {
            // Two's complement trick; i > 0 everywhere this is called, and i < 2^32.
            return i & (~i + 1);
        }
    }

    /// @dev The highest power of two <= n (0 for 0); n < 2^32, so at most 32 rounds.
    function _highestPowerOfTwo(uint256 n) private pure returns (uint256 p) {
        if (n == 0) return 0;
        p = 1;
        while (p <= n >> 1) p <<= 1;
    }
}
