// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BlockHeader} from "../libraries/BlockHeader.sol";
import {IPrevrandaoHeaderRandomness} from "../interfaces/IPrevrandaoHeaderRandomness.sol";
import {RandomnessStatus} from "../interfaces/IRandomnessSource.sol";
import {FutureBlockRandomness} from "./FutureBlockRandomness.sol";

/// @title PrevrandaoHeaderRandomness
/// @notice Randomness from the `prevrandao` of the block `DELAY` blocks after the trigger, proven
///         with the block's header. Meant for Ethereum L1 (and Hardhat/anvil, whose headers have
///         the same layout); on Arbitrum `prevrandao` is the constant 1 and on OP Stack chains it
///         is the randao of an L1 block the sequencer picks, so this source adds nothing there.
/// @dev On L1 the `prevrandao` of block N is the beacon RANDAO mix before N's own proposer reveals,
///      so the builder of block `target` cannot change it. The proposer of the block before it
///      can withhold that block (one bit of bias per slot it controls, at the cost of the slot's
///      rewards), and knows the value one block early. Anyone who sees the target block can prove.
contract PrevrandaoHeaderRandomness is IPrevrandaoHeaderRandomness, FutureBlockRandomness {
    /// @param delay_ Blocks between the trigger and its target, in [MIN_DELAY, MAX_DELAY].
    /// @param useHistory_ Read hashes past the 256-block window from EIP-2935 (see `USE_HISTORY`).
    constructor(uint64 delay_, bool useHistory_) FutureBlockRandomness(delay_, useHistory_) {}

    /// @inheritdoc IPrevrandaoHeaderRandomness
    function prove(uint64 target, bytes calldata rlpHeader) external returns (bytes32 value) {
        value = _recorded[target];
        if (value != 0) return value;
        if (block.number <= target) revert RandomnessPending(target, block.number);
        bytes32 blockHash = _blockHash(target);
        if (blockHash == 0) revert RandomnessLost(target);
        bytes32 headerHash = keccak256(rlpHeader);
        // INVARIANT: only the target block's own header can set its value.
        if (headerHash != blockHash) revert HeaderMismatch(target, blockHash, headerHash);
        value = _derive(BlockHeader.mixHashOf(rlpHeader), target);
        _store(target, value);
    }

    /// @dev Pending until proven while the target's hash is still readable; Lost after.
    function _unrecorded(uint64 target) internal view override returns (RandomnessStatus, bytes32) {
        if (_blockHash(target) == 0) return (RandomnessStatus.Lost, 0);
        return (RandomnessStatus.Pending, 0);
    }
}
