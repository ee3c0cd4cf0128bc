// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IResultVerifier
/// @notice A pluggable check of a result that carries its own evidence: an enclave signature over
///         an allow-listed measurement (TEE), or a ZK proof checked by a generated verifier. The
///         JobRegistry finalizes an ATTESTED-mode job at once when its verifier accepts.
interface IResultVerifier {
    /// @notice True when `proof` shows that `outputHash` is the model's output on the input.
    /// @param jobId The job.
    /// @param modelDigest SHA-256 of the model's ONNX bytes.
    /// @param inputHash keccak256 of the canonical input bytes.
    /// @param outputHash keccak256 of the canonical output bytes.
    /// @param executor The node that submits the result.
    /// @param proof The evidence, in the verifier's own format.
    function verifyResult(
        uint256 jobId,
        bytes32 modelDigest,
        bytes32 inputHash,
        bytes32 outputHash,
        address executor,
        bytes calldata proof
    ) external view returns (bool);
}
