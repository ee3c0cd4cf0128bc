// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlockHeader} from "../libraries/BlockHeader.sol";

/// @notice Test-only: exposes BlockHeader.
contract BlockHeaderHarness {
    /// @notice The header's mixHash.
    function mixHashOf(bytes calldata header) external pure returns (bytes32) {
        return BlockHeader.mixHashOf(header);
    }
}

/// @notice Test-only: remembers the `prevrandao` its transaction saw, to compare with a proof.
contract PrevrandaoWitness {
    /// @notice The `prevrandao` seen in each block where `see` was called.
    mapping(uint256 blockNumber => uint256 prevrandao) public seen;

    /// @notice Stores this block's `prevrandao`.
    function see() external {
        seen[block.number] = block.prevrandao;
    }
}
