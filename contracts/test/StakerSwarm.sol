// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IStakeManager} from "../interfaces/IStakeManager.sol";
import {Role} from "../types/Types.sol";

/// @notice Test and benchmark only: one staked node.
contract SwarmNode {
    /// @notice Stakes this node's tokens; an executor also opts in to `modelId`.
    function stake(IERC20 token, IStakeManager stakes, Role role, uint256 amount, uint256 modelId) external {
        require(token.approve(address(stakes), amount), StakerSwarm.TransferFailed());
        stakes.stake(role, amount);
        if (role == Role.EXECUTOR) stakes.optIn(modelId);
    }
}

/// @notice Test and benchmark only: creates many staked nodes in few transactions, so that gas can
///         be measured against thousands of stakers. Holds the tokens it hands out.
contract StakerSwarm {
    /// @notice Thrown when a token call returns false.
    error TransferFailed();

    uint256 public count;

    /// @notice Creates `n` nodes that each stake `amount` for `role` (this contract must hold the
    ///         tokens); executors opt in to `modelId` (ignored for verifiers).
    function spawn(IERC20 token, IStakeManager stakes, Role role, uint256 n, uint256 amount, uint256 modelId) external {
        count += n;
        for (uint256 i = 0; i < n; ++i) {
            SwarmNode node = new SwarmNode();
            require(token.transfer(address(node), amount), TransferFailed());
            node.stake(token, stakes, role, amount, modelId);
        }
    }
}
