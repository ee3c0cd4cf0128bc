// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IDisputeResolver} from "../interfaces/IDisputeResolver.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IRefereeGame} from "../interfaces/IRefereeGame.sol";
import {IRefereeOneStep} from "../interfaces/IRefereeOneStep.sol";
import {IRefereeResolver} from "../interfaces/IRefereeResolver.sol";
import {TensorCodec} from "../libraries/TensorCodec.sol";
import {TraceBinding} from "../libraries/TraceBinding.sol";
import {Verdict} from "../types/Types.sol";
import {RefereeGame} from "./RefereeGame.sol";

/// @title RefereeResolver
/// @notice Puts the refereed game behind the JobRegistry's resolver interface (issue 15): see
///         IRefereeResolver. It deploys its own RefereeGame, whose hub it is, so that only disputes
///         the JobRegistry opened become games.
/// @dev Calls go one way: the hub calls `open` and `resolve`; this contract calls its game and reads
///      the ModelRegistry, and never calls the hub. It holds no tokens (bonds are the game's).
contract RefereeResolver is IRefereeResolver {
    /// @notice The shortest start window a deployment may set.
    uint64 public constant MIN_START_WINDOW = 1 minutes;

    /// @notice The JobRegistry: the only caller of `open` and `resolve`.
    address public immutable HUB;
    /// @notice Where the refereeable versions' programs are declared.
    IModelRegistry public immutable MODELS;
    /// @notice The game this resolver opens (deployed by the constructor).
    IRefereeGame public immutable GAME;
    /// @notice How long after the opening anyone may start the game; after it, a dispute nobody
    ///         started is Valid (nobody showed the result wrong).
    uint64 public immutable START_WINDOW;
    /// @notice The game's clock, read once: the join window after its creation.
    uint64 internal immutable _CLOCK;

    mapping(uint256 jobId => Dispute) internal _disputes;

    modifier onlyHub() {
        if (msg.sender != HUB) revert NotHub(msg.sender);
        _;
    }

    /// @param hub The JobRegistry.
    /// @param models The ModelRegistry.
    /// @param oneStep The game's one-step referee.
    /// @param token The game's bond token.
    /// @param clock The game's clock per side and path (RefereeGame's bounds).
    /// @param extension The game's extension (RefereeGame's bounds).
    /// @param bondPerGas The game's capped gas price in tokens (RefereeGame's bounds).
    /// @param startWindow How long anyone has to start a game, MIN_START_WINDOW .. clock.
    constructor(
        address hub,
        IModelRegistry models,
        IRefereeOneStep oneStep,
        IERC20 token,
        uint64 clock,
        uint64 extension,
        uint96 bondPerGas,
        uint64 startWindow
    ) {
        // INVARIANT: every dependency exists (the game checks its own).
        if (hub == address(0)) revert ZeroAddress("hub");
        if (address(models) == address(0)) revert ZeroAddress("models");
        // INVARIANT: a start window leaves time to bring the bytes, and is no longer than a clock.
        if (startWindow < MIN_START_WINDOW || startWindow > clock) {
            revert StartWindowOutOfRange(startWindow, MIN_START_WINDOW, clock);
        }
        HUB = hub;
        MODELS = models;
        START_WINDOW = startWindow;
        _CLOCK = clock;
        GAME = new RefereeGame(oneStep, token, address(this), clock, extension, bondPerGas);
    }

    /// @inheritdoc IDisputeResolver
    function open(
        uint256 jobId,
        uint256 modelId,
        address executor,
        address challenger,
        bytes32 jobDigest
    ) external onlyHub returns (uint256 disputeId, uint96 bond) {
        // A job disputed again after a reassignment replaces its earlier (resolved) dispute.
        _disputes[jobId] = Dispute({
            // solhint-disable-next-line not-rely-on-time
            openedAt: uint64(block.timestamp),
            modelId: uint24(modelId),
            executor: executor,
            jobDigest: jobDigest,
            gameId: 0,
            challenger: challenger,
            claimVerdict: Verdict.Undecided
        });
        emit RefereeDisputeOpened(jobId, modelId, executor, challenger, jobDigest);
        // The challenger's bond is the game's: it is paid on `join`, not here.
        return (jobId, 0);
    }

    /// @inheritdoc IRefereeResolver
    function decideClaim(
        uint256 jobId,
        uint16 version,
        bytes calldata input,
        bytes calldata claim
    ) external returns (Verdict verdict) {
        Dispute storage d = _startable(jobId, version, input, claim);
        // INVARIANT: only an invalid-input claim is decided by the codec; a tensor output goes to the game.
        if (!TensorCodec.isInvalidClaim(claim)) revert NotAClaim(jobId);
        IModelRegistry.RefereeProgram memory program = _program(d, version);
        bool fits;
        try this.inputSpecOf(input) returns (bool one, bytes32 spec) {
            fits = one && spec == program.inputSpec;
        } catch {
            fits = false; // the bytes are no canonical tensor map: the claim is right
        }
        // INVARIANT: a claim on an input that fits the program is false, whatever its reason: the
        // chain can recompute the program, so "the model failed" is no excuse.
        verdict = fits ? Verdict.Invalid : Verdict.Valid;
        d.claimVerdict = verdict;
        emit ClaimDecided(jobId, version, fits, verdict);
    }

    /// @inheritdoc IRefereeResolver
    function inputSpecOf(bytes calldata input) external pure returns (bool one, bytes32 spec) {
        TensorCodec.Tensor[] memory tensors = TensorCodec.decode(input);
        if (tensors.length == 0) return (false, bytes32(0));
        TensorCodec.Tensor memory t = tensors[0];
        return (tensors.length == 1, keccak256(abi.encode(t.name, t.dtype, t.shape)));
    }

    /// @inheritdoc IRefereeResolver
    function start(
        uint256 jobId,
        uint16 version,
        bytes calldata input,
        bytes calldata output
    ) external returns (uint256 gameId) {
        Dispute storage d = _startable(jobId, version, input, output);
        IModelRegistry.RefereeProgram memory program = _program(d, version);
        (bytes32 inputRoot, ) = TraceBinding.ioRoot(input);
        (bytes32 outputRoot, ) = TraceBinding.ioRoot(output);
        gameId = GAME.create(program.stepsHash, program.steps, inputRoot, outputRoot, d.executor);
        d.gameId = gameId;
        emit RefereeGameStarted(jobId, gameId, version, inputRoot, outputRoot);
    }

    /// @inheritdoc IDisputeResolver
    /// @dev Invalid names the winning path's challenger and asks for the largest bounty (the hub
    ///      caps it at the committee's). A game nobody joined is Valid once its join window is
    ///      over; one still being played reverts with NotDecided (the hub's deadline still holds).
    function resolve(uint256 jobId) external onlyHub returns (Verdict verdict, address challenger, uint96 bounty) {
        Dispute storage d = _disputes[jobId];
        if (d.openedAt == 0) revert NoDisputeHere(jobId);
        if (d.claimVerdict != Verdict.Undecided) {
            return (d.claimVerdict, d.claimVerdict == Verdict.Invalid ? d.challenger : address(0), type(uint96).max);
        }
        uint256 gameId = d.gameId;
        if (gameId == 0) {
            // INVARIANT: an unstarted dispute stands until its start window is over.
            // solhint-disable-next-line not-rely-on-time
            if (block.timestamp <= uint256(d.openedAt) + START_WINDOW) revert NotDecided(jobId);
            return (Verdict.Valid, address(0), 0);
        }
        (Verdict v, , address winner) = GAME.verdict(gameId);
        if (v == Verdict.Invalid) return (Verdict.Invalid, winner, type(uint96).max);
        if (v == Verdict.Valid) return (Verdict.Valid, address(0), 0);
        IRefereeGame.Game memory g = GAME.game(gameId);
        // solhint-disable-next-line not-rely-on-time
        if (g.pathCount == 0 && block.timestamp > uint256(g.createdAt) + _CLOCK) return (Verdict.Valid, address(0), 0);
        revert NotDecided(jobId);
    }

    /// @dev The dispute of `jobId`, checked open for a first move: it exists, neither its game nor its
    ///      claim started yet, within START_WINDOW, and `output` and `input` are the job's.
    function _startable(
        uint256 jobId,
        uint16 version,
        bytes calldata input,
        bytes calldata output
    ) internal view returns (Dispute storage d) {
        d = _disputes[jobId];
        if (d.openedAt == 0) revert NoDisputeHere(jobId);
        // INVARIANT: one game per dispute: every challenger plays on the same defender's trace.
        if (d.gameId != 0) revert AlreadyStarted(jobId, d.gameId);
        // INVARIANT: a claim is decided once.
        if (d.claimVerdict != Verdict.Undecided) revert ClaimAlreadyDecided(jobId);
        uint256 closesAt = uint256(d.openedAt) + START_WINDOW;
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > closesAt) revert StartWindowClosed(jobId, closesAt);
        // INVARIANT: the game is bound to the job's own version, input and output, as the hub hashed them.
        if (keccak256(abi.encode(version, keccak256(input), keccak256(output))) != d.jobDigest) {
            revert NotTheJobsBytes(jobId);
        }
    }

    /// @dev The version's declared program.
    function _program(
        Dispute storage d,
        uint16 version
    ) internal view returns (IModelRegistry.RefereeProgram memory program) {
        program = MODELS.programOf(d.modelId, version);
        // INVARIANT: only a declared program is refereed: the steps hash every node reproduced.
        if (program.programHash == bytes32(0)) revert NotRefereeable(d.modelId, version);
    }

    /// @inheritdoc IRefereeResolver
    function disputeOf(uint256 jobId) external view returns (Dispute memory) {
        return _disputes[jobId];
    }

    /// @notice The start window and the longest game: the hub holds a dispute at most this long
    ///         (and never past the job's deadline).
    function disputeWindow() external view returns (uint256) {
        return uint256(START_WINDOW) + GAME.maxDuration();
    }

    /// @notice One referee: the chain itself.
    function committeeSize() external pure returns (uint8) {
        return 1;
    }
}
