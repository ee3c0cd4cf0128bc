// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SumTree} from "../libraries/SumTree.sol";
import {FeeSplit} from "../libraries/FeeSplit.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";

/// @notice Test-only: exposes SumTree.
contract SumTreeHarness {
    using SumTree for SumTree.Tree;

    SumTree.Tree private _tree;

    function set(address node, uint96 weight) external {
        _tree.set(node, weight);
    }

    function weightOf(address node) external view returns (uint256) {
        return _tree.weightOf(node);
    }

    function total() external view returns (uint256) {
        return _tree.total;
    }

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
    function split(
        uint256 fee,
        uint16 verifierBps,
        uint16 modelOwnerBps,
        uint16 treasuryBps
    ) external pure returns (FeeSplit.Parts memory) {
        return FeeSplit.split(fee, FeeSplit.Shares(verifierBps, modelOwnerBps, treasuryBps));
    }

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

    function argmax(bytes calldata data, bytes calldata name) external pure returns (uint256) {
        bytes memory d = data;
        return TensorCodec.argmax(d, TensorCodec.find(d, name));
    }

    function readInt(bytes calldata data, uint256 tensorIndex, uint256 index) external pure returns (int256) {
        bytes memory d = data;
        return TensorCodec.readInt(d, TensorCodec.decode(d)[tensorIndex], index);
    }

    function isInvalidClaim(bytes calldata data) external pure returns (bool) {
        return TensorCodec.isInvalidClaim(data);
    }

    function elementSize(uint8 dtype) external pure returns (uint256) {
        return TensorCodec.elementSize(dtype);
    }
}
