// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {InferenceConsumer} from "../consumer/InferenceConsumer.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";
import {Mode, RequestParams} from "../types/Types.sol";

/// @title SentimentGate
/// @notice Example consumer: asks a classifier for the logits of an input, takes their argmax as
///         the label, and opens a gate when the label is the one configured and the winning
///         logit clears a threshold. Shows decoding a canonical output on-chain.
contract SentimentGate is InferenceConsumer {
    /// @notice Thrown when a job id is not one this contract requested.
    error UnknownRequest(uint256 jobId);
    /// @notice Thrown when anyone but the owner asks for a classification.
    error NotOwner(address caller);

    /// @notice Emitted when a classification is asked for.
    event ClassificationRequested(uint256 indexed jobId);
    /// @notice Emitted when a classification arrives.
    event Classified(uint256 indexed jobId, uint256 label, int256 score, bool gateOpen);
    /// @notice Emitted when the executor's accepted answer is that the input was invalid (`reason`
    ///         is its reason code), or when the output came without its bytes (`BY_REFERENCE`).
    event ClassificationFailed(uint256 indexed jobId, uint8 reason);

    /// @notice The reason `ClassificationFailed` gives when the output was delivered without its bytes.
    uint8 public constant BY_REFERENCE = type(uint8).max;

    /// @notice Who may request.
    address public immutable OWNER;
    /// @notice The model to ask.
    uint256 public immutable MODEL_ID;
    /// @notice The label that opens the gate.
    uint256 public immutable OPEN_LABEL;
    /// @notice The smallest winning logit (1e18 fixed point) that opens the gate.
    int256 public immutable THRESHOLD;

    /// @notice The latest label and whether the gate is open.
    uint256 public lastLabel;
    bool public gateOpen;
    mapping(uint256 jobId => bool) public pending;

    /// @param jobRegistry The Glassbox JobRegistry.
    /// @param feeToken The protocol token.
    /// @param modelId The classifier's model id.
    /// @param openLabel The label that opens the gate.
    /// @param threshold The smallest winning logit, 1e18 fixed point.
    constructor(
        IJobRegistry jobRegistry,
        IERC20 feeToken,
        uint256 modelId,
        uint256 openLabel,
        int256 threshold
    ) InferenceConsumer(jobRegistry, feeToken) {
        OWNER = msg.sender;
        MODEL_ID = modelId;
        OPEN_LABEL = openLabel;
        THRESHOLD = threshold;
    }

    /// @notice Pulls the result of `jobId` into this gate (JobRegistry.deliver, called as the job's
    ///         consumer): `output` is the bytes for a QUORUM job (from ResultRevealed) or, for an
    ///         output posted by reference, its bytes or nothing. Owner only, so nobody else decides
    ///         when (or whether without its bytes) the gate reads a by-reference result.
    function settle(uint256 jobId, bytes calldata output) external {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        JOB_REGISTRY.deliver(jobId, output);
    }

    /// @notice Asks for a classification of `input` (canonical tensor bytes), paying `fee`.
    function classify(bytes calldata input, uint96 fee, Mode mode, uint32 deadline) external returns (uint256 jobId) {
        if (msg.sender != OWNER) revert NotOwner(msg.sender);
        jobId = _requestInference(
            RequestParams({
                modelId: MODEL_ID,
                version: 1,
                mode: mode,
                fee: fee,
                deadline: deadline,
                input: input,
                inputHash: bytes32(0),
                inputURI: "",
                inputSize: 0,
                callback: address(0),
                callbackGasLimit: 300_000,
                auditRateBps: 0
            })
        );
        pending[jobId] = true;
        emit ClassificationRequested(jobId);
    }

    function _onResult(uint256 jobId, bool valid, bytes32, bytes calldata output) internal override {
        if (!pending[jobId]) revert UnknownRequest(jobId);
        pending[jobId] = false;
        if (output.length == 0) {
            // Posted by reference and delivered without its bytes: nothing to decide on.
            emit ClassificationFailed(jobId, BY_REFERENCE);
            return;
        }
        if (!valid) {
            emit ClassificationFailed(jobId, uint8(output[1]));
            return;
        }
        bytes memory data = output;
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(data);
        uint256 label = TensorCodec.argmax(data, tensors[0]);
        int256 score = TensorCodec.readFixed(data, tensors[0], label);
        lastLabel = label;
        gateOpen = label == OPEN_LABEL && score >= THRESHOLD;
        emit Classified(jobId, label, score, gateOpen);
    }
}
