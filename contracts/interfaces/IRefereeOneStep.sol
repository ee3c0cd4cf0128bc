// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title IRefereeOneStep
/// @notice The last move of a refereed dispute (issue 15, docs/REFEREE.md): recomputes ONE element
///         of one step of a refereed program from the defender's own committed tensors and the
///         registered weights, each operand opened by a range proof, and reads the element the
///         defender committed. It holds no state, reads none and calls nothing (pure): the game compares the two values.
interface IRefereeOneStep {
    /// @notice Leaves of one tree and the siblings that prove them (docs/REFEREE.md, "Range proofs").
    ///         The one-step derives which leaves it needs; a range only carries them. For a channel
    ///         record, `leaves` is the record's 16 bytes and `siblings` its keccak proof.
    struct Range {
        bytes leaves;
        bytes32[] siblings;
    }

    /// @notice Thrown when the descriptors' hashes do not hash to the program's steps hash.
    error StepsHashMismatch(bytes32 expected, bytes32 computed);
    /// @notice Thrown when the step index is not a step of the program.
    error StepOutOfRange(uint256 step, uint256 steps);
    /// @notice Thrown when the descriptor is not the one the program commits for the step.
    error DescriptorMismatch(uint256 step, bytes32 expected, bytes32 computed);
    /// @notice Thrown when the tensor roots do not hash to the trace root.
    error TraceRootMismatch(bytes32 expected, bytes32 computed);
    /// @notice Thrown when the trace does not hold one root per tensor (the input and every step's output).
    error TensorCountMismatch(uint256 expected, uint256 given);
    /// @notice Thrown when a descriptor names a step kind the one-step does not know.
    error UnknownStepKind(uint256 kind);
    /// @notice Thrown when a descriptor's integer list is not as long as its kind requires.
    error MalformedDescriptor(uint256 kind, uint256 ints, uint256 roots);
    /// @notice Thrown when a step reads a tensor that is not an earlier one.
    error InputNotEarlier(uint256 tensor, uint256 step);
    /// @notice Thrown when the element index is past the step's output.
    error ElementOutOfRange(uint256 element, uint256 count);
    /// @notice Thrown when the number of ranges is not the number the element needs.
    error WrongRangeCount(uint256 expected, uint256 given);
    /// @notice Thrown when a range carries another number of leaves than the operand spans (for a
    ///         channel record: another number of bytes than a record's 16).
    error WrongLeafCount(uint256 expected, uint256 given);
    /// @notice Thrown when a channel record's proof is longer than its tree is deep.
    error RecordProofTooLong(uint256 given, uint256 most);
    /// @notice Thrown when a channel record is not the registered one for its channel.
    error RecordNotInTree(uint256 channel);

    /// @notice Recomputes element `element` (in the committed order of the step's output) of step
    ///         `step` and reads the value the defender committed for it.
    /// @dev Reverts unless every commitment checks: the descriptors against `stepsHash`, the tensor
    ///      roots against `traceRoot`, every range against its root. `ranges` holds, in order, the
    ///      operands the step kind reads (docs/REFEREE.md) and last the output element's leaf.
    /// @param stepsHash The program's registered steps hash.
    /// @param descHashes The hash of each step's descriptor, in step order.
    /// @param step The step whose element is recomputed.
    /// @param descriptor The step's descriptor.
    /// @param traceRoot The defender's trace root.
    /// @param tensorRoots The defender's tensor roots (tensor 0: the input; i: step i - 1's output).
    /// @param element The element's index in the output's committed order.
    /// @param ranges The operands' leaves and proofs, then the output element's leaf and proof.
    /// @return expected The element's value recomputed from the defender's operands.
    /// @return claimed The element's value in the defender's committed output.
    function check(
        bytes32 stepsHash,
        bytes32[] calldata descHashes,
        uint256 step,
        bytes calldata descriptor,
        bytes32 traceRoot,
        bytes32[] calldata tensorRoots,
        uint256 element,
        Range[] calldata ranges
    ) external pure returns (int256 expected, int256 claimed);

    /// @notice The number of elements of a step's output (one byte each: a trace's activations are uint8 or int8),
    ///         from its descriptor alone, as check computes it. The game derives the output tree's depth from it.
    /// @dev Reverts with UnknownStepKind or MalformedDescriptor as check does; the caller checks the descriptor
    ///      against the steps hash.
    /// @param descriptor A step's descriptor.
    /// @return count The output's element count.
    function outputCount(bytes calldata descriptor) external pure returns (uint256 count);
}
