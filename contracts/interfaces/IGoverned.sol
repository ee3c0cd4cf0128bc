// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGlassboxErrors} from "./IGlassboxErrors.sol";

/// @title IGoverned
/// @notice Who may change a Glassbox contract. `GOVERNANCE` is fixed at deployment: on a real
///         network it is an OpenZeppelin TimelockController whose delay outlasts the unbonding
///         period, so every parameter change is public long enough for stakers to leave first.
///         `DEPLOYER` may only wire the protocol's contracts together, once; after that nobody can
///         add a caller that moves stake or escrow.
interface IGoverned is IGlassboxErrors {
    /// @notice The only address that may change this contract's parameters.
    // solhint-disable-next-line func-name-mixedcase
    function GOVERNANCE() external view returns (address);

    /// @notice The address that deployed this contract; it may wire it once and do nothing else.
    // solhint-disable-next-line func-name-mixedcase
    function DEPLOYER() external view returns (address);
}
