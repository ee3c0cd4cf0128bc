// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice Test-only: stands in for the JobRegistry when a bare StakeManager or PaymentVault is
///         wired to it. It forwards every call, from anyone, to `forwardTo` and answers with the
///         target's answer (or revert), so a test can call protocol-only functions with this
///         contract as the caller: connect the target's typechain factory to this contract's address.
contract ProtocolStub {
    /// @notice Where every call that matches no function here is forwarded.
    address public forwardTo;

    /// @notice Sets where unknown calls are forwarded.
    function setForwardTo(address target) external {
        forwardTo = target;
    }

    /// @notice Forwards the call to `forwardTo`: returns its return data or reverts with its revert data.
    fallback(bytes calldata data) external returns (bytes memory) {
        return _forward(data);
    }

    function _forward(bytes calldata data) private returns (bytes memory result) {
        bool ok;
        // solhint-disable-next-line avoid-low-level-calls
        (ok, result) = forwardTo.call(data);
        if (!ok) {
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                // Re-throws the target's revert data unchanged: `result` is a bytes array in
                // memory, its length at `result` and its contents right after.
                revert(add(result, 32), mload(result))
            }
        }
    }
}
