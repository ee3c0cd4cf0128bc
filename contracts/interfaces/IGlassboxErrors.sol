// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IGlassboxErrors
/// @notice The errors that several Glassbox contracts throw, declared once. Every interface that
///         can throw one of them inherits this one, so each appears once in every ABI.
interface IGlassboxErrors {
    /// @notice Thrown when a parameter is outside its bound; `name` says which.
    error ParameterOutOfBounds(string name, uint256 value, uint256 min, uint256 max);
    /// @notice Thrown when an address that must be set is zero; `name` says which.
    error ZeroAddress(string name);
    /// @notice Thrown when the caller may not call this function (not governance, not the
    ///         deployer during wiring, not a protocol contract).
    error UnauthorizedCaller(address caller);
    /// @notice Thrown when a contract's one-time wiring is attempted a second time.
    error AlreadyWired();
}
