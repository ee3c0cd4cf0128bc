// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TraceMerkle} from "../libraries/TraceMerkle.sol";

/// @notice Test-only: exposes TraceMerkle, and the gas of one range check.
contract TraceMerkleHarness {
    /// @notice TraceMerkle.leafHash.
    function leafHash(bytes calldata leaf) external pure returns (bytes32) {
        return TraceMerkle.leafHash(leaf);
    }

    /// @notice TraceMerkle.nodeHash.
    function nodeHash(bytes32[16] memory children) external pure returns (bytes32) {
        return TraceMerkle.nodeHash(children);
    }

    /// @notice TraceMerkle.traceRoot.
    function traceRoot(bytes32[] calldata roots) external pure returns (bytes32) {
        return TraceMerkle.traceRoot(roots);
    }

    /// @notice TraceMerkle.depthFor.
    function depthFor(uint256 byteLength) external pure returns (uint256) {
        return TraceMerkle.depthFor(byteLength);
    }

    /// @notice TraceMerkle.computeRoot.
    function computeRoot(
        uint256 depth,
        uint256 first,
        bytes calldata leaves,
        bytes32[] calldata siblings
    ) external pure returns (bytes32) {
        return TraceMerkle.computeRoot(depth, first, leaves, siblings);
    }

    /// @notice TraceMerkle.requireRange.
    function requireRange(
        bytes32 root,
        uint256 depth,
        uint256 first,
        bytes calldata leaves,
        bytes32[] calldata siblings
    ) external pure {
        TraceMerkle.requireRange(root, depth, first, leaves, siblings);
    }

    /// @notice TraceMerkle.requireRange with the gas the library call used (gasleft before and after).
    function gasOfRequireRange(
        bytes32 root,
        uint256 depth,
        uint256 first,
        bytes calldata leaves,
        bytes32[] calldata siblings
    ) external view returns (uint256 gasUsed) {
        uint256 before = gasleft();
        TraceMerkle.requireRange(root, depth, first, leaves, siblings);
        gasUsed = before - gasleft();
    }
}
