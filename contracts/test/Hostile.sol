// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {IInferenceCallback} from "../interfaces/IInferenceCallback.sol";
import {IResultVerifier} from "../interfaces/IResultVerifier.sol";

/// @notice Test-only: a callback that tries to re-enter any contract with any calldata.
contract ReentrantCallback is IInferenceCallback {
    address public reentryTarget;
    bytes public payload;
    bool public reentered;
    bool public called;
    bytes public reentryError;

    /// @notice Sets the call the callback will try.
    function arm(address target_, bytes calldata payload_) external {
        reentryTarget = target_;
        payload = payload_;
    }

    /// @inheritdoc IInferenceCallback
    function onInferenceResult(uint256, bool, bytes32, bytes calldata) external {
        called = true;
        // solhint-disable-next-line avoid-low-level-calls
        (bool ok, bytes memory err) = reentryTarget.call(payload);
        reentered = ok;
        reentryError = err;
    }
}

/// @notice Test-only: a callback that burns all the gas it is given.
contract GasBurnerCallback is IInferenceCallback {
    uint256 public counter;

    /// @inheritdoc IInferenceCallback
    function onInferenceResult(uint256, bool, bytes32, bytes calldata) external {
        while (true) ++counter;
    }
}

/// @notice Test-only: a callback that reverts, or returns a huge buffer (a return bomb).
contract RevertingCallback is IInferenceCallback {
    /// @notice Thrown by every callback.
    error CallbackSaysNo();

    bool public bomb;

    /// @notice Switches between a plain revert and a 1 MiB return bomb.
    function setBomb(bool bomb_) external {
        bomb = bomb_;
    }

    /// @inheritdoc IInferenceCallback
    function onInferenceResult(uint256, bool, bytes32, bytes calldata) external view {
        if (bomb) {
            // solhint-disable-next-line no-inline-assembly
            assembly {
                return(0, 1048576)
            }
        }
        revert CallbackSaysNo();
    }
}

/// @notice Test-only: a well-behaved callback that records what it received.
contract RecordingCallback is IInferenceCallback {
    uint256 public lastJobId;
    bool public lastValid;
    bytes32 public lastOutputHash;
    bytes public lastOutput;
    uint256 public calls;

    /// @inheritdoc IInferenceCallback
    function onInferenceResult(uint256 jobId, bool valid, bytes32 outputHash, bytes calldata output) external {
        lastJobId = jobId;
        lastValid = valid;
        lastOutputHash = outputHash;
        lastOutput = output;
        ++calls;
    }
}

/// @notice Test-only: an ERC-20 that calls a hook on every transfer, to try re-entering payouts.
contract ReentrantToken is ERC20 {
    address public hookTarget;
    bytes public hookPayload;
    bool public hookSucceeded;
    uint256 public hookAttempts;
    bool private _inHook;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Mints freely (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Sets the call every transfer will try.
    function arm(address target, bytes calldata payload) external {
        hookTarget = target;
        hookPayload = payload;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (hookTarget != address(0) && !_inHook && from != address(0)) {
            _inHook = true;
            ++hookAttempts;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, ) = hookTarget.call(hookPayload);
            if (ok) hookSucceeded = true;
            _inHook = false;
        }
    }
}

/// @notice Test-only: a result verifier whose answer the test sets.
contract MockResultVerifier is IResultVerifier {
    bool public answer = true;

    /// @notice Sets what verifyResult answers.
    function setAnswer(bool answer_) external {
        answer = answer_;
    }

    /// @notice Accepts when the answer is true and a proof is given.
    function verifyResult(
        uint256,
        bytes32,
        bytes32,
        bytes32,
        address,
        bytes calldata proof
    ) external view returns (bool) {
        return answer && proof.length != 0;
    }
}
