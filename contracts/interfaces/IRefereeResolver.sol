// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeResolver} from "./IDisputeResolver.sol";
import {Verdict} from "../types/Types.sol";

/// @title IRefereeResolver
/// @notice The refereed dispute as a JobRegistry resolver (issue 15): a model whose owner picks it
///         (and governance allows it) has its challenged or audited results judged by a RefereeGame
///         instead of a committee. The hub opens a dispute with the job's digest; anyone then starts
///         the game with the job's own input and output bytes, which bind the trace's first and last
///         roots (TraceBinding); challengers join the game, and the game's verdict goes back to the
///         hub through `resolve`. The resolver never calls the hub.
interface IRefereeResolver is IDisputeResolver {
    /// @notice One dispute, per job (a reassigned job's next dispute replaces it).
    struct Dispute {
        uint64 openedAt;
        uint24 modelId;
        address executor;
        bytes32 jobDigest; // keccak256(abi.encode(version, inputHash, outputHash)), from the hub
        uint256 gameId; // zero until started
        address challenger; // who challenged on the hub (zero for an audit): a false claim's bounty goes to it
        Verdict claimVerdict; // an invalid-input claim's verdict, once decided (Undecided until then)
    }

    /// @notice Thrown when anyone but the hub opens or resolves a dispute.
    error NotHub(address caller);
    /// @notice Thrown when the job has no dispute here.
    error NoDisputeHere(uint256 jobId);
    /// @notice Thrown when the dispute's game was already started.
    error AlreadyStarted(uint256 jobId, uint256 gameId);
    /// @notice Thrown when a game is started after the start window.
    error StartWindowClosed(uint256 jobId, uint256 closedAt);
    /// @notice Thrown when the bytes brought are not the job's (version, input or output).
    error NotTheJobsBytes(uint256 jobId);
    /// @notice Thrown when the job's model version declares no program (ModelRegistry.declareProgram).
    error NotRefereeable(uint256 modelId, uint16 version);
    /// @notice Thrown when `decideClaim` is given an output that is not an invalid-input claim (start the game instead).
    error NotAClaim(uint256 jobId);
    /// @notice Thrown when the dispute's invalid-input claim was already decided.
    error ClaimAlreadyDecided(uint256 jobId);
    /// @notice Thrown when the hub asks for a verdict the game has not reached yet.
    error NotDecided(uint256 jobId);
    /// @notice Thrown when the start window is outside its bounds.
    error StartWindowOutOfRange(uint256 startWindow, uint256 minimum, uint256 maximum);
    /// @notice Thrown when a dependency is the zero address.
    error ZeroAddress(string name);

    /// @notice Emitted when the hub opens a dispute.
    event RefereeDisputeOpened(
        uint256 indexed jobId,
        uint256 indexed modelId,
        address executor,
        address challenger,
        bytes32 jobDigest
    );
    /// @notice Emitted when an invalid-input claim is decided by the tensor codec: Invalid when the input fits the program.
    event ClaimDecided(uint256 indexed jobId, uint16 version, bool inputFits, Verdict verdict);
    /// @notice Emitted when a dispute's game starts, bound to the job's input and output roots.
    event RefereeGameStarted(
        uint256 indexed jobId,
        uint256 indexed gameId,
        uint16 version,
        bytes32 inputRoot,
        bytes32 outputRoot
    );

    /// @notice Starts the dispute's game: checks the bytes against the job's digest, reads the
    ///         version's declared program, computes the input and output roots, and creates the game
    ///         with the executor as defender. Anyone, within START_WINDOW of the opening.
    /// @param jobId The disputed job.
    /// @param version The job's model version.
    /// @param input The job's canonical input bytes.
    /// @param output The job's posted canonical output bytes.
    /// @return gameId The game's id in GAME.
    function start(
        uint256 jobId,
        uint16 version,
        bytes calldata input,
        bytes calldata output
    ) external returns (uint256 gameId);

    /// @notice Decides a dispute whose posted output is an invalid-input claim (`0x00 reason`), by
    ///         the tensor codec alone: the claim is false (Invalid) when the input decodes to one
    ///         tensor whose name, dtype and shape are the version's declared `inputSpec`, whatever
    ///         reason the executor gave ("the model failed" is no excuse for a program the chain can
    ///         recompute); it stands (Valid) otherwise. Anyone, within START_WINDOW of the opening.
    /// @param jobId The disputed job.
    /// @param version The job's model version.
    /// @param input The job's input bytes.
    /// @param claim The posted output: the two bytes of the claim.
    /// @return verdict The claim's verdict, which `resolve` returns.
    function decideClaim(
        uint256 jobId,
        uint16 version,
        bytes calldata input,
        bytes calldata claim
    ) external returns (Verdict verdict);

    /// @notice Whether `input` decodes to exactly one tensor, and that tensor's `keccak256(abi.encode(name,
    ///         dtype, shape))`; reverts with the codec's error when it does not decode (decideClaim catches it).
    /// @param input Bytes claimed to be a canonical tensor map.
    /// @return one Whether the map holds exactly one tensor.
    /// @return spec The spec of its first tensor (zero when none).
    function inputSpecOf(bytes calldata input) external pure returns (bool one, bytes32 spec);

    /// @notice The dispute of `jobId` (all zero when none).
    /// @param jobId The job.
    /// @return The dispute.
    function disputeOf(uint256 jobId) external view returns (Dispute memory);
}
