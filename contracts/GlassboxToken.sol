// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {Ownable, Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title GlassboxToken
/// @notice The protocol token for devnets and tests: an ERC-20 with EIP-2612 permit, minted by its
///         owner (the devnet faucet). Production deployments pass any existing ERC-20 instead.
contract GlassboxToken is ERC20, ERC20Permit, Ownable2Step {
    /// @param owner_ Who may mint (two-step ownership transfer).
    constructor(address owner_) ERC20("Glassbox", "GLASS") ERC20Permit("Glassbox") Ownable(owner_) {}

    /// @notice Mints `amount` to `to`. Owner only: this token exists for devnets and tests.
    /// @dev The ERC-20 Transfer event from address zero records the change.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
