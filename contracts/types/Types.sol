// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @notice How a job's result is checked before it is paid.
/// @dev The numeric values are part of the ABI: `ModelPolicy.allowedModes` is a bitmask with bit
///      `1 << uint8(mode)` set for each allowed mode. Values from 3 on are reserved for verifier
///      plug-ins (attested TEE results, ZK proofs) registered in `JobRegistry.setResultVerifier`.
enum Mode {
    NONE, // trust the executor: the job finalizes on submission
    OPTIMISTIC, // challenge window, challenges and hidden random audits go to a committee
    QUORUM, // k executors commit to output hashes and reveal; the majority wins
    ATTESTED // the result carries a proof checked by a registered IResultVerifier
}

/// @notice The roles a node can stake for. Each role has its own stake account and sum tree.
enum Role {
    EXECUTOR,
    VERIFIER
}

/// @notice The life of a job. Every transition is checked against this enum.
enum Status {
    None, // no such job
    Unassigned, // escrowed, but no eligible executor was available: `assign` or `cancel`
    Assigned, // executor(s) chosen; waiting for a result (QUORUM: the commit-reveal round runs)
    Submitted, // OPTIMISTIC only: result posted, challenge window open
    Disputed, // a challenge or an audit is before a committee
    Finalized, // a result was accepted and paid
    Refunded // no result was accepted: the requester got the fee back
}

/// @notice The verdict of a committee, or of a quorum.
enum Verdict {
    Undecided, // a tie, an empty committee or nobody revealed
    Valid, // the executor's result stands
    Invalid // the executor's result is wrong
}

/// @notice What a requester asks for. Exactly one of `input` (inline canonical tensor bytes) or
///         (`inputHash`, `inputURI`) is given.
struct RequestParams {
    uint256 modelId;
    uint16 version;
    Mode mode;
    uint96 fee;
    uint32 deadline; // unix time by which the requester wants a final result
    bytes input; // canonical tensor bytes (see TensorCodec); empty when the input is by reference
    bytes32 inputHash; // keccak256 of the canonical input bytes, when `input` is empty
    string inputURI; // where the input bytes can be fetched, when `input` is empty
    uint32 inputSize; // declared size in bytes of a by-reference input (checked against the policy)
    address callback; // contract to call with the result, or zero
    uint32 callbackGasLimit; // gas forwarded to the callback
    uint16 auditRateBps; // OPTIMISTIC: the least audit rate the requester buys (0: the model's); the fee floor follows it
}
