// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SnapshotSumTree} from "../libraries/SnapshotSumTree.sol";
import {SumTree} from "../libraries/SumTree.sol";

/// @notice Test-only: exposes SnapshotSumTree, plus metered calls for the gas script.
contract SnapshotSumTreeHarness {
    using SnapshotSumTree for SnapshotSumTree.Tree;

    /// @notice Everything the property test compares with its model for one snapshot epoch.
    struct Inspection {
        bool totalOk;
        uint256 sum;
        bool[] weightOk;
        uint256[] weights;
        bool[] drawOk;
        address[] drawn;
    }

    SnapshotSumTree.Tree private _tree;

    /// @notice Emitted by the metered calls: the gas the library call alone used.
    event GasUsed(uint256 gas);

    /// @notice SnapshotSumTree.set.
    function set(address node, uint96 weight, uint32 epoch) external {
        _tree.set(node, weight, epoch);
    }

    /// @notice Appends `count` nodes (addresses first, first + 1, ...) of weight `weight` at `epoch`.
    /// @dev Builds large trees in few transactions; `count` is bounded by the caller's gas.
    function appendMany(uint160 first, uint256 count, uint96 weight, uint32 epoch) external {
        for (uint256 i = 0; i < count; ++i) _tree.set(address(first + uint160(i)), weight, epoch);
    }

    /// @notice SnapshotSumTree.set, emitting the gas it used.
    function setMetered(address node, uint96 weight, uint32 epoch) external {
        uint256 before = gasleft();
        _tree.set(node, weight, epoch);
        emit GasUsed(before - gasleft());
    }

    /// @notice SnapshotSumTree.drawAt in a transaction (so every slot it reads is cold), emitting its gas.
    function drawAtMetered(uint32 s, uint256 point) external {
        uint256 before = gasleft();
        _tree.drawAt(s, point);
        emit GasUsed(before - gasleft());
    }

    /// @notice Overwrites the live total, breaking the tree: only to reach the overflow guard without
    ///         65,536 maximal leaves.
    function forceLiveTotal(uint112 sum) external {
        _tree.sum = sum;
    }

    /// @notice totalAt(s), weightAt(node, s) for each of `nodes` and drawAt(s, point) for each of
    ///         `points`, in one call.
    function inspect(
        uint32 s,
        address[] calldata nodes,
        uint256[] calldata points
    ) external view returns (Inspection memory out) {
        (out.totalOk, out.sum) = _tree.totalAt(s);
        out.weightOk = new bool[](nodes.length);
        out.weights = new uint256[](nodes.length);
        for (uint256 i = 0; i < nodes.length; ++i) (out.weightOk[i], out.weights[i]) = _tree.weightAt(nodes[i], s);
        out.drawOk = new bool[](points.length);
        out.drawn = new address[](points.length);
        for (uint256 i = 0; i < points.length; ++i) (out.drawOk[i], out.drawn[i]) = _tree.drawAt(s, points[i]);
    }

    /// @notice SnapshotSumTree.weightOf.
    function weightOf(address node) external view returns (uint256) {
        return _tree.weightOf(node);
    }

    /// @notice SnapshotSumTree.total.
    function total() external view returns (uint256) {
        return _tree.total();
    }

    /// @notice The number of leaves.
    function size() external view returns (uint256) {
        return _tree.size;
    }

    /// @notice The latest epoch in which the tree changed.
    function latestEpoch() external view returns (uint256) {
        return _tree.last;
    }

    /// @notice SnapshotSumTree.weightAt.
    function weightAt(address node, uint32 s) external view returns (bool ok, uint256 weight) {
        return _tree.weightAt(node, s);
    }

    /// @notice SnapshotSumTree.totalAt.
    function totalAt(uint32 s) external view returns (bool ok, uint256 sum) {
        return _tree.totalAt(s);
    }

    /// @notice SnapshotSumTree.drawAt.
    function drawAt(uint32 s, uint256 point) external view returns (bool ok, address node) {
        return _tree.drawAt(s, point);
    }
}

/// @notice Test-only: today's SumTree with the same bulk and metered calls, for gas comparison.
contract SumTreeGasHarness {
    using SumTree for SumTree.Tree;

    SumTree.Tree private _tree;

    /// @notice Emitted by the metered calls: the gas the library call alone used.
    event GasUsed(uint256 gas);

    /// @notice Appends `count` nodes (addresses first, first + 1, ...) of weight `weight`.
    function appendMany(uint160 first, uint256 count, uint96 weight) external {
        for (uint256 i = 0; i < count; ++i) _tree.set(address(first + uint160(i)), weight);
    }

    /// @notice SumTree.set, emitting the gas it used.
    function setMetered(address node, uint96 weight) external {
        uint256 before = gasleft();
        _tree.set(node, weight);
        emit GasUsed(before - gasleft());
    }

    /// @notice SumTree.search without exclusions, in a transaction, emitting its gas (leaf read included).
    function searchMetered(uint256 point) external {
        uint256 before = gasleft();
        _tree.leaves[_tree.search(point, new uint256[](0), new uint256[](0), 0)].node;
        emit GasUsed(before - gasleft());
    }
}
