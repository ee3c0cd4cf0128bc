// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TensorCodec} from "../libraries/TensorCodec.sol";
import {TraceBinding} from "../libraries/TraceBinding.sol";

/// @notice Test-only: exposes TraceBinding, and the gas of one binding.
contract TraceBindingHarness {
    /// @notice TraceBinding.ioRoot, with the tensor's dtype and shape.
    function ioRoot(bytes memory encoded) external pure returns (bytes32 root, uint8 dtype, uint32[] memory shape) {
        TensorCodec.Tensor memory t;
        (root, t) = TraceBinding.ioRoot(encoded);
        return (root, t.dtype, t.shape);
    }

    /// @notice TraceBinding.rootOf.
    function rootOf(bytes memory data) external pure returns (bytes32) {
        return TraceBinding.rootOf(data);
    }

    /// @notice The gas of TraceBinding.ioRoot alone (calldata and the call excluded).
    function ioRootGas(bytes memory encoded) external view returns (uint256 used) {
        uint256 before = gasleft();
        TraceBinding.ioRoot(encoded);
        used = before - gasleft();
    }
}
