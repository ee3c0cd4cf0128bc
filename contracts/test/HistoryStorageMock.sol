// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Test-only: stands in for the EIP-2935 history contract (placed at its address with
///         `hardhat_setCode`). Like the real one it takes a 32-byte block number as calldata and
///         reverts outside [block.number - 8191, block.number - 1]; it answers with hashes the
///         test sets.
contract HistoryStorageMock {
    /// @notice Thrown for a block outside the window, as the real contract reverts.
    error OutOfRange(uint256 blockNumber);

    /// @notice Hashes set by the test.
    mapping(uint256 blockNumber => bytes32 hash) public hashes;

    /// @notice Sets the hash the mock returns for `blockNumber`.
    /// @param blockNumber The block.
    /// @param hash Its hash.
    function setHash(uint256 blockNumber, bytes32 hash) external {
        hashes[blockNumber] = hash;
    }

    // The real contract has no selector either: its whole interface is this fallback.
    /// @notice Answers a raw 32-byte block number with its hash, as EIP-2935 does.
    // solhint-disable-next-line no-complex-fallback
    fallback(bytes calldata input) external returns (bytes memory) {
        uint256 blockNumber = abi.decode(input, (uint256));
        if (blockNumber >= block.number || blockNumber + 8191 < block.number) revert OutOfRange(blockNumber);
        return abi.encode(hashes[blockNumber]);
    }
}
