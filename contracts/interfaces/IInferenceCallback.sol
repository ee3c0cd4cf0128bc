// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IInferenceCallback
/// @notice What the JobRegistry calls on a job's callback contract when someone `deliver`s the
///         result of a job that ended with one (finalization itself never calls out).
interface IInferenceCallback {
    /// @notice Receives a job's result. Called with the gas the requester capped; a revert or an
    ///         out-of-gas here changes nothing but this delivery (the job is final and paid).
    /// @param jobId The job.
    /// @param valid False when the accepted result is the executor's claim that the input was
    ///        invalid (`output` is then `0x00 reason`).
    /// @param outputHash keccak256 of the output bytes: always set, even when `output` is empty.
    /// @param output The canonical output bytes; empty only when the output was posted by reference
    ///        and the deliverer did not supply it (read it at the job's outputURI and check the hash).
    function onInferenceResult(uint256 jobId, bool valid, bytes32 outputHash, bytes calldata output) external;
}
