// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceCallback
/// @notice What the JobRegistry calls on a job's callback contract when the job ends with a result.
interface IInferenceCallback {
    /// @notice Receives a job's result. Called with the gas the requester capped; a revert or an
    ///         out-of-gas here never undoes the job's finalization or its payments.
    /// @param jobId The job.
    /// @param valid False when the accepted result is the executor's claim that the input was
    ///        invalid (`output` is then `0x00 reason`).
    /// @param output The canonical output bytes (empty when the output was given by reference).
    function onInferenceResult(uint256 jobId, bool valid, bytes calldata output) external;
}
