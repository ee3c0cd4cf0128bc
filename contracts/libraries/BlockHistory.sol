// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title BlockHistory
/// @notice The hash of a past block: `blockhash` for the last 256 blocks, then the EIP-2935 history
///         contract (the last 8191 blocks) where the chain has it. Zero when neither knows the block.
library BlockHistory {
    /// @notice The EIP-2935 history contract (same address on every chain that runs it).
    address internal constant HISTORY_STORAGE = 0x0000F90827F1C53a10cb7A02335B175320002935;

    /// @notice The hash of block `blockNumber`, or zero if it is not in the past or no longer readable.
    /// @dev The history contract reverts for numbers outside its window and holds zero for blocks
    ///      before the chain activated it; both read as zero here. Its code comes from a keyless
    ///      deployment, so nobody can place other code at that address; Hardhat 2.29 puts a stub
    ///      there that always reverts, which also reads as zero.
    function hashOf(uint256 blockNumber) internal view returns (bytes32 hash) {
        hash = blockhash(blockNumber);
        if (hash != 0 || blockNumber >= block.number || HISTORY_STORAGE.code.length == 0) return hash;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory ret) = HISTORY_STORAGE.staticcall(abi.encode(blockNumber));
        if (ok && ret.length == 32) hash = abi.decode(ret, (bytes32));
    }
}
