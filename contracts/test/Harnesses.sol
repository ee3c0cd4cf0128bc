// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SumTree} from "../libraries/SumTree.sol";
import {FeeSplit} from "../libraries/FeeSplit.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";

/// @notice Test-only: exposes SumTree.
contract SumTreeHarness {
    using SumTree for SumTree.Tree;

    SumTree.Tree private _tree;

    /// @notice Sets a node's weight.
    function set(address node, uint96 weight) external {
        _tree.set(node, weight);
    }

    /// @notice A node's weight.
    function weightOf(address node) external view returns (uint256) {
        return _tree.weightOf(node);
    }

    /// @notice The sum of all weights.
    function total() external view returns (uint256) {
        return _tree.total;
    }

    /// @notice The number of leaves.
    function size() external view returns (uint256) {
        return _tree.size;
    }

    /// @notice The node whose cumulative range holds `point`, skipping `exclude`.
    function search(uint256 point, address[] calldata exclude) external view returns (address) {
        uint256[] memory leaves = new uint256[](exclude.length);
        uint256[] memory weights = new uint256[](exclude.length);
        for (uint256 i = 0; i < exclude.length; ++i) {
            leaves[i] = _tree.indexOf[exclude[i]];
            weights[i] = _tree.leaves[leaves[i]].weight;
        }
        return _tree.leaves[_tree.search(point, leaves, weights, exclude.length)].node;
    }
}

/// @notice Test-only: exposes FeeSplit.
contract FeeSplitHarness {
    /// @notice FeeSplit.split with the shares given one by one.
    function split(
        uint256 fee,
        uint16 verifierBps,
        uint16 modelOwnerBps,
        uint16 treasuryBps
    ) external pure returns (FeeSplit.Parts memory) {
        return FeeSplit.split(fee, FeeSplit.Shares(verifierBps, modelOwnerBps, treasuryBps));
    }

    /// @notice FeeSplit.equalShares.
    function equalShares(uint256 amount, uint256 count) external pure returns (uint256, uint256) {
        return FeeSplit.equalShares(amount, count);
    }
}

/// @notice Test-only: exposes TensorCodec.
contract TensorCodecHarness {
    struct Decoded {
        bytes name;
        uint8 dtype;
        uint32[] shape;
        uint256 count;
        int256[] fixedValues;
    }

    /// @notice Decodes a map, with every value read as 1e18 fixed point.
    function decode(bytes calldata data) external pure returns (Decoded[] memory out) {
        bytes memory d = data;
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(d);
        out = new Decoded[](tensors.length);
        for (uint256 i = 0; i < tensors.length; ++i) {
            TensorCodec.Tensor memory t = tensors[i];
            int256[] memory values = new int256[](t.count);
            for (uint256 j = 0; j < t.count; ++j) values[j] = TensorCodec.readFixed(d, t, j);
            out[i] = Decoded(t.name, t.dtype, t.shape, t.count, values);
        }
    }

    /// @notice The argmax of the tensor called `name`.
    function argmax(bytes calldata data, bytes calldata name) external pure returns (uint256) {
        bytes memory d = data;
        return TensorCodec.argmax(d, TensorCodec.find(d, name));
    }

    /// @notice Element `index` of tensor `tensorIndex` as an integer.
    function readInt(bytes calldata data, uint256 tensorIndex, uint256 index) external pure returns (int256) {
        bytes memory d = data;
        return TensorCodec.readInt(d, TensorCodec.decode(d)[tensorIndex], index);
    }

    /// @notice TensorCodec.isInvalidClaim.
    function isInvalidClaim(bytes calldata data) external pure returns (bool) {
        return TensorCodec.isInvalidClaim(data);
    }

    /// @notice TensorCodec.elementSize.
    function elementSize(uint8 dtype) external pure returns (uint256) {
        return TensorCodec.elementSize(dtype);
    }
}
