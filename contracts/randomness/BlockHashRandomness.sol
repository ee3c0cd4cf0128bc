// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {RandomnessStatus} from "../interfaces/IRandomnessSource.sol";
import {FutureBlockRandomness} from "./FutureBlockRandomness.sol";

/// @title BlockHashRandomness
/// @notice Randomness from the hash of the block `DELAY` blocks after the trigger. For Hardhat,
///         anvil and devnets; on a live chain only where a draw is worth less than what the party
///         who builds the target block would give up to bias it. Deployments that carry value plug
///         a VRF-style adapter behind the same interface instead.
/// @dev Who can bias the value (docs/RANDOMNESS.md has the per-chain table):
///      - Ethereum L1: the builder of block `target` chooses its hash (extra data, transaction
///        order, which transactions), so it can grind the value as often as it can rebuild.
///      - OP Stack (Base, OP Mainnet): the sequencer builds every block, and so every block hash.
///      - Arbitrum: `blockhash` is documented as not a secure source of randomness and
///        `prevrandao` is the constant 1; `block.number` is an estimate of the L1 block number,
///        so targets count L1-numbered blocks. Deploy with `useHistory` false there.
///      The value is readable through `blockhash` for 256 blocks after the target (about 51 min at
///      12 s, 8.5 min at 2 s, 64 s at 0.25 s), then, with `useHistory`, through the EIP-2935
///      history contract for 8191 blocks where the chain has one (about 27 h at 12 s, 4.5 h at 2 s).
///      After that it is Lost unless someone called `record` in time.
contract BlockHashRandomness is FutureBlockRandomness {
    /// @param delay_ Blocks between the trigger and its target, in [MIN_DELAY, MAX_DELAY].
    /// @param useHistory_ Read hashes past the 256-block window from EIP-2935 (see `USE_HISTORY`).
    constructor(uint64 delay_, bool useHistory_) FutureBlockRandomness(delay_, useHistory_) {}

    /// @dev Ready while the target's hash is readable (`blockhash`, then EIP-2935), Lost after.
    function _unrecorded(uint64 target) internal view override returns (RandomnessStatus, bytes32) {
        bytes32 hash = _blockHash(target);
        if (hash == 0) return (RandomnessStatus.Lost, 0);
        return (RandomnessStatus.Ready, _derive(hash, target));
    }
}
