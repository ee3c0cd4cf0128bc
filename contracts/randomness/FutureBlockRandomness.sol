// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlockHistory} from "../libraries/BlockHistory.sol";
import {IGlassboxErrors} from "../interfaces/IGlassboxErrors.sol";
import {IRandomnessSource, RandomnessStatus} from "../interfaces/IRandomnessSource.sol";

/// @title FutureBlockRandomness
/// @notice The part every chain-data source shares: the target is the block `DELAY` blocks after
///         the trigger, and a value, once recorded, is kept for good. Implementations say what the
///         value of an unrecorded target is (`_unrecorded`).
abstract contract FutureBlockRandomness is IRandomnessSource, IGlassboxErrors {
    /// @notice Smallest delay: the value must depend on a block built after the triggering one. The
    ///         `prevrandao` of block N is fixed by block N - 1, so with a delay of 1 the proposer of
    ///         the triggering block would already know the header source's value.
    uint64 public constant MIN_DELAY = 2;
    /// @notice Largest delay: keeps the target well inside the 256-block `blockhash` window of any
    ///         caller that acts promptly after it.
    uint64 public constant MAX_DELAY = 64;

    /// @notice Blocks between the trigger and its target.
    uint64 public immutable DELAY;
    /// @notice Whether hashes older than 256 blocks are read from the EIP-2935 history contract.
    ///         Only where that contract is keyed by the same block numbers as `block.number`
    ///         (Ethereum, OP Stack); never on Arbitrum, whose `block.number` is an L1 estimate.
    bool public immutable USE_HISTORY;

    /// @dev Values persisted by `record` (or a proof); zero means not recorded (a keccak256 output
    ///      of zero is not a practical concern).
    mapping(uint64 target => bytes32 value) internal _recorded;

    /// @param delay_ Blocks between the trigger and its target, in [MIN_DELAY, MAX_DELAY].
    /// @param useHistory_ Read hashes past the 256-block window from EIP-2935 (see `USE_HISTORY`).
    constructor(uint64 delay_, bool useHistory_) {
        // INVARIANT: the target is at least MIN_DELAY blocks after the trigger and well inside the
        // 256-block window of a caller who acts promptly.
        if (delay_ < MIN_DELAY || delay_ > MAX_DELAY) {
            revert ParameterOutOfBounds("delay", delay_, MIN_DELAY, MAX_DELAY);
        }
        DELAY = delay_;
        USE_HISTORY = useHistory_;
    }

    /// @inheritdoc IRandomnessSource
    /// @dev View here: a chain-data source keeps no state per request.
    function request() external view returns (uint64 target) {
        return _targetOf(block.number);
    }

    /// @inheritdoc IRandomnessSource
    function targetOf(uint256 blockNumber) external view returns (uint64) {
        return _targetOf(blockNumber);
    }

    /// @inheritdoc IRandomnessSource
    function delay() external view returns (uint64) {
        return DELAY;
    }

    /// @inheritdoc IRandomnessSource
    function randomnessOf(uint64 target) external view returns (RandomnessStatus status, bytes32 value) {
        return _randomnessOf(target);
    }

    /// @inheritdoc IRandomnessSource
    function record(uint64 target) external returns (bytes32 value) {
        RandomnessStatus status;
        (status, value) = _randomnessOf(target);
        // INVARIANT: only a value that exists and is still readable is persisted.
        if (status == RandomnessStatus.Pending) revert RandomnessPending(target, block.number);
        if (status == RandomnessStatus.Lost) revert RandomnessLost(target);
        if (_recorded[target] == 0) _store(target, value);
    }

    /// @dev Persists a Ready value and says so.
    function _store(uint64 target, bytes32 value) internal {
        _recorded[target] = value;
        emit RandomnessRecorded(target, value);
    }

    /// @dev Recorded values first; every target is Pending until its block is mined.
    function _randomnessOf(uint64 target) internal view returns (RandomnessStatus, bytes32) {
        bytes32 recorded = _recorded[target];
        if (recorded != 0) return (RandomnessStatus.Ready, recorded);
        // INVARIANT: nothing about the target block is known before it is mined, so the triggering
        // transaction (whose block is before the target) can only ever see Pending.
        if (block.number <= target) return (RandomnessStatus.Pending, 0);
        return _unrecorded(target);
    }

    /// @dev The status and value of a mined, unrecorded target.
    function _unrecorded(uint64 target) internal view virtual returns (RandomnessStatus, bytes32);

    /// @dev The hash of a mined block while it is readable, zero after.
    function _blockHash(uint64 target) internal view returns (bytes32) {
        return USE_HISTORY ? BlockHistory.hashOf(target) : blockhash(target);
    }

    /// @dev `blockNumber + DELAY` as a target.
    function _targetOf(uint256 blockNumber) internal view returns (uint64) {
        uint256 maxBlock = type(uint64).max - DELAY;
        if (blockNumber > maxBlock) revert ParameterOutOfBounds("blockNumber", blockNumber, 0, maxBlock);
        return uint64(blockNumber) + DELAY;
    }

    /// @dev The value of `target` from its per-block seed: domain-separated by target, chain and
    ///      source, so two targets (or two sources, or two chains) never share a value.
    function _derive(bytes32 seed, uint64 target) internal view returns (bytes32) {
        return keccak256(abi.encode(seed, target, block.chainid, address(this)));
    }
}
