// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {IInferenceCallback} from "../interfaces/IInferenceCallback.sol";
import {RequestParams} from "../types/Types.sol";

/// @title InferenceConsumer
/// @notice Inherit this to request inferences from Glassbox and receive results in a callback that
///         only the JobRegistry can make, when the result is delivered (`JobRegistry.deliver`). Fees are paid from this contract's own token balance;
///         refunds are credited to it in the PaymentVault (claim them with `PaymentVault.claim`).
abstract contract InferenceConsumer is IInferenceCallback {
    using SafeERC20 for IERC20;

    /// @notice Thrown when anyone but the JobRegistry calls `onInferenceResult`.
    error OnlyJobRegistry(address caller);

    /// @notice The Glassbox hub.
    IJobRegistry public immutable JOB_REGISTRY;
    /// @notice The token fees are paid in.
    IERC20 public immutable FEE_TOKEN;

    /// @param jobRegistry The Glassbox JobRegistry.
    /// @param feeToken The protocol token.
    constructor(IJobRegistry jobRegistry, IERC20 feeToken) {
        JOB_REGISTRY = jobRegistry;
        FEE_TOKEN = feeToken;
    }

    /// @inheritdoc IInferenceCallback
    function onInferenceResult(uint256 jobId, bool valid, bytes32 outputHash, bytes calldata output) external {
        if (msg.sender != address(JOB_REGISTRY)) revert OnlyJobRegistry(msg.sender);
        _onResult(jobId, valid, outputHash, output);
    }

    /// @notice Requests an inference whose result comes back to `_onResult`, paying `params.fee`
    ///         from this contract's balance. `params.callback` is set to this contract.
    function _requestInference(RequestParams memory params) internal returns (uint256 jobId) {
        params.callback = address(this);
        FEE_TOKEN.forceApprove(address(JOB_REGISTRY), params.fee);
        jobId = JOB_REGISTRY.requestInference(params);
    }

    /// @notice Receives a result once someone calls `JOB_REGISTRY.deliver(jobId, output)` (this
    ///         contract, a keeper, or anyone: the hub checks the bytes against `outputHash`).
    ///         `valid` is false when the executor's accepted answer is that the input did not fit
    ///         the model; `output` is empty only for an output posted by reference that the
    ///         deliverer did not supply. Keep it within the callback gas limit you asked for.
    function _onResult(uint256 jobId, bool valid, bytes32 outputHash, bytes calldata output) internal virtual;
}
