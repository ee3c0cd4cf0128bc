// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRandomnessSource} from "./IRandomnessSource.sol";

/// @title IPrevrandaoHeaderRandomness
/// @notice A randomness source whose value is the `prevrandao` (header field mixHash) of the target
///         block, proven by anyone who submits the block's header. The builder of the target block
///         cannot grind it as it can a block hash (see docs/RANDOMNESS.md for who can still bias it).
///         A target stays Pending after its block until someone proves it, and becomes Lost when
///         its block hash can no longer be read; `record` only returns a proven value.
interface IPrevrandaoHeaderRandomness is IRandomnessSource {
    /// @notice Thrown when the submitted header does not hash to the target block's hash.
    error HeaderMismatch(uint64 target, bytes32 blockHash, bytes32 headerHash);

    /// @notice Proves `target`'s value from its block header and records it. Anyone may call it;
    ///         a second call returns the recorded value and changes nothing.
    /// @dev Reverts with `RandomnessPending` before the target block is mined, `RandomnessLost`
    ///      once its hash can no longer be read, and `HeaderMismatch` for any other header.
    /// @param target A target returned by `request`.
    /// @param rlpHeader The RLP encoding of block `target`'s header (as `eth_getBlockByNumber`
    ///        returns it, encoded by verifier/src/chain/blockHeader.ts).
    /// @return value The recorded value.
    function prove(uint64 target, bytes calldata rlpHeader) external returns (bytes32 value);
}
