// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";

/// @title ClassificationBook
/// @notice Example consumer for a dApp that requests its jobs off-chain (with the client SDK) and
///         names this contract as the job's callback: when the result is delivered
///         (`JobRegistry.deliver`), it records the argmax of the output's first tensor as the job's
///         label, with the winning score, or the reason the executor gave for rejecting the input.
///         Only the JobRegistry may call it back, and only for jobs its trusted requester asked
///         for: a stranger who names this contract as the callback of their own job cannot write
///         into the book. examples/sdk/requestAndAct.ts deploys and drives it.
contract ClassificationBook is InferenceConsumer {
    /// @notice What the book holds for a job.
    enum Outcome {
        None,
        Labelled,
        InputRejected
    }

    /// @notice One job's entry: its label and score when `Labelled`, its reason code when
    ///         `InputRejected` (the codes are in docs/ARCHITECTURE.md).
    struct Entry {
        Outcome outcome;
        uint8 rejectReason;
        uint64 label;
        int256 score;
    }

    /// @notice Thrown when the delivered job was requested by anyone but `REQUESTER`.
    error NotTrustedRequester(uint256 jobId, address requester);
    /// @notice Thrown when an output posted by reference is delivered without its bytes: deliver
    ///         it again with the bytes (read them at the job's outputURI).
    error OutputBytesMissing(uint256 jobId);

    /// @notice Emitted when a job's output is recorded: `label` is the argmax of its first tensor,
    ///         `score` that element as 1e18 fixed point.
    event Labelled(uint256 indexed jobId, uint256 label, int256 score);
    /// @notice Emitted when a job ended with the executor's claim that the input did not fit the
    ///         model; `reason` is the claim's reason code.
    event InputRejected(uint256 indexed jobId, uint8 reason);

    /// @notice The only requester whose jobs the book records.
    address public immutable REQUESTER;

    mapping(uint256 jobId => Entry) private _entries;

    /// @param jobRegistry The Glassbox JobRegistry (the only caller of `onInferenceResult`).
    /// @param feeToken The protocol token (unused here: this book requests nothing itself).
    /// @param requester The account whose jobs are recorded.
    constructor(IJobRegistry jobRegistry, IERC20 feeToken, address requester) InferenceConsumer(jobRegistry, feeToken) {
        REQUESTER = requester;
    }

    /// @notice The entry of `jobId`; `outcome` is `None` until its result was delivered here.
    /// @param jobId The job.
    /// @return The job's entry.
    function entryOf(uint256 jobId) external view returns (Entry memory) {
        return _entries[jobId];
    }

    function _onResult(uint256 jobId, bool valid, bytes32, bytes calldata output) internal override {
        address requester = JOB_REGISTRY.jobOf(jobId).requester;
        if (requester != REQUESTER) revert NotTrustedRequester(jobId, requester);
        if (output.length == 0) revert OutputBytesMissing(jobId);
        if (!valid) {
            // An invalid-input claim is the two bytes `0x00 reason`.
            uint8 reason = uint8(output[1]);
            _entries[jobId] = Entry({outcome: Outcome.InputRejected, rejectReason: reason, label: 0, score: 0});
            emit InputRejected(jobId, reason);
            return;
        }
        bytes memory data = output;
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(data);
        uint256 label = TensorCodec.argmax(data, tensors[0]);
        int256 score = TensorCodec.readFixed(data, tensors[0], label);
        _entries[jobId] = Entry({outcome: Outcome.Labelled, rejectReason: 0, label: uint64(label), score: score});
        emit Labelled(jobId, label, score);
    }
}
