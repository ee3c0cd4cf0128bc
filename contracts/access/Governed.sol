// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IGoverned} from "../interfaces/IGoverned.sol";

/// @title Governed
/// @notice An immutable governance address and a deployer allowed to wire once. There are no roles
///         to grant: what governance may do is the list of `onlyGovernance` functions, and which
///         contracts may move stake or escrow is fixed by the one-time wiring.
abstract contract Governed is IGoverned {
    /// @inheritdoc IGoverned
    address public immutable GOVERNANCE;
    /// @inheritdoc IGoverned
    address public immutable DEPLOYER;

    modifier onlyGovernance() {
        // INVARIANT: only governance (a timelock on real networks) changes parameters.
        if (msg.sender != GOVERNANCE) revert UnauthorizedCaller(msg.sender);
        _;
    }

    modifier onlyDeployer() {
        // INVARIANT: wiring comes from the deployer alone (and each wiring function runs once).
        if (msg.sender != DEPLOYER) revert UnauthorizedCaller(msg.sender);
        _;
    }

    /// @param governance The address that may change parameters (a TimelockController on real networks).
    constructor(address governance) {
        if (governance == address(0)) revert ZeroAddress("governance");
        GOVERNANCE = governance;
        DEPLOYER = msg.sender;
    }
}
