// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Where a target's random value stands.
/// @dev Pending: not available yet, but it can still become available (the target block is not
///      mined yet, or, for a source that needs a proof, nobody has proven it yet). Ready: the value
///      is final and every later read returns the same value. Lost: the value can never be read any
///      more (the chain forgot the data before anyone recorded it); a caller re-arms the draw with a
///      new target, or settles it as the worst case for whoever was supposed to call `record`.
enum RandomnessStatus {
    Pending,
    Ready,
    Lost
}

/// @title IRandomnessSource
/// @notice Randomness that nobody can read in the transaction that asks for it. A draw calls
///         `request` when it is triggered and stores the returned target; the outcome is computed
///         later from `randomnessOf(target)`, which stays Pending for the rest of the triggering
///         transaction (and block), so a contract cannot read the outcome and revert when unlucky.
///         Implementations differ in who can still bias the value (see docs/RANDOMNESS.md); a
///         deployment that carries value plugs a VRF-style adapter behind this same interface.
interface IRandomnessSource {
    /// @notice Thrown when `record` is called for a target whose value is not available yet.
    error RandomnessPending(uint64 target, uint256 blockNumber);
    /// @notice Thrown when `record` is called for a target whose value can no longer be read.
    error RandomnessLost(uint64 target);

    /// @notice Emitted when a target's value is persisted (once per target).
    event RandomnessRecorded(uint64 indexed target, bytes32 value);

    /// @notice Fixes the target whose value a draw triggered now will use.
    /// @return target A target strictly in the future: its value is Pending in this transaction.
    function request() external returns (uint64 target);

    /// @notice What `request` returns when called in block `blockNumber` (for off-chain planning).
    /// @param blockNumber The block in which `request` would be called.
    /// @return The target `request` would return in that block.
    function targetOf(uint256 blockNumber) external view returns (uint64);

    /// @notice The status of `target` and, once Ready, its value.
    /// @param target A target returned by `request`.
    /// @return status Pending (wait, or prove where the source needs it), Ready (use `value`) or
    ///         Lost (never readable: re-arm, or settle as the worst case for whoever should have
    ///         called `record`).
    /// @return value The random value when Ready; zero otherwise.
    /// @dev Not named `valueOf`: ethers v6 contract objects resolve that name to JavaScript's
    ///      Object.prototype.valueOf, so `source.valueOf(t)` would type-check and silently misbehave.
    function randomnessOf(uint64 target) external view returns (RandomnessStatus status, bytes32 value);

    /// @notice Persists `target`'s value while it can still be read, so it never becomes Lost.
    ///         Anyone may call it; a second call returns the recorded value and changes nothing.
    /// @dev Reverts with `RandomnessPending` while the value is not available and with
    ///      `RandomnessLost` once it can no longer be read.
    /// @param target A target returned by `request`.
    /// @return value The recorded value.
    function record(uint64 target) external returns (bytes32 value);

    /// @notice Blocks between the triggering block and its target.
    /// @return The delay in blocks.
    function delay() external view returns (uint64);
}
