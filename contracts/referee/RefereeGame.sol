// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Verdict} from "../types/Types.sol";
import {IRefereeGame} from "../interfaces/IRefereeGame.sol";
import {IRefereeOneStep} from "../interfaces/IRefereeOneStep.sol";
import {TraceMerkle} from "../libraries/TraceMerkle.sol";

// A game of chess clocks reads block.timestamp by design (clocks, the join window, opening times); a timestamp
// a proposer shifts by seconds cannot matter against clocks of hours. Disabled for the file, not line by line.
// solhint-disable not-rely-on-time

/// @title RefereeGame
/// @notice See IRefereeGame. A standalone satellite: it keeps its games and exposes their verdicts and
///         winners; the hub (wired later as an IDisputeResolver) opens games and pays the bounty.
/// @dev No loop runs over a caller-chosen or growing set: defender moves touch no path (each path charges
///      the defender lazily from the node's opening time), and the only loops are the library's bounded ones.
contract RefereeGame is IRefereeGame, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The shortest clock a deployment may set.
    uint64 public constant MIN_CLOCK = 1 hours;
    /// @notice The longest clock a deployment may set.
    uint64 public constant MAX_CLOCK = 30 days;
    /// @notice The most steps a game's program may have.
    uint256 public constant MAX_STEPS = 64;
    /// @notice The deepest tree a path walks (TraceMerkle's proof limit: 16^8 leaves).
    uint256 public constant MAX_DEPTH = 8;
    /// @notice Bytes in one leaf.
    uint256 internal constant LEAF = 1024;
    /// @notice The most gas a defender can spend on one path, transactions whole: posting 65 roots,
    ///         opening MAX_DEPTH + 1 inner nodes and one leaf, every calldata byte non-zero (measured
    ///         by test/unit/RefereeGame.ts on the dearest path the game allows, plus under 10%).
    uint256 public constant DEFENDER_GAS_PER_PATH = 880_000;

    /// @notice The last move's referee.
    IRefereeOneStep public immutable ONE_STEP;
    /// @notice The bond token.
    IERC20 public immutable TOKEN;
    /// @notice The only account that may open games.
    address public immutable HUB;
    /// @notice Each side's clock per path, in seconds; also the join window.
    uint64 public immutable CLOCK;
    /// @notice The least time a side is left after its opponent moves.
    uint64 public immutable EXTENSION;
    /// @notice What a challenger puts up to join: DEFENDER_GAS_PER_PATH at BOND_PER_GAS, so a
    ///         challenge that loses pays the defender's gas for the path at the capped gas price.
    uint96 public immutable CHALLENGER_BOND;
    /// @notice The capped gas price, in bond-token units per unit of gas.
    uint96 public immutable BOND_PER_GAS;

    /// @dev A node's opening: its kind and time. One slot.
    struct Opening {
        uint64 openedAt;
        NodeKind kind;
    }

    /// @dev A path's turn computed now, from its stored clocks and its pending opening's time.
    struct Turn {
        bool defenderToMove;
        bool defenderOut;
        bool challengerOut;
        uint256 defenderLeft;
        uint256 challengerLeft;
    }

    uint256 internal _gameCount;
    mapping(uint256 gameId => Game) internal _games;
    mapping(uint256 gameId => mapping(uint256 pathId => Path)) internal _paths;
    mapping(uint256 gameId => mapping(bytes32 node => Opening)) internal _openings;
    mapping(address account => uint256) internal _credits;

    /// @param oneStep The one-step referee.
    /// @param token The bond token.
    /// @param hub The account that opens games.
    /// @param clock Each side's clock per path, MIN_CLOCK .. MAX_CLOCK.
    /// @param extension The least time a side is left after its opponent moves, 1 .. clock.
    /// @param bondPerGas The capped gas price in bond-token units per gas (governance converts the
    ///        chain's gas price cap at a token price), 1 .. type(uint96).max / DEFENDER_GAS_PER_PATH.
    constructor(IRefereeOneStep oneStep, IERC20 token, address hub, uint64 clock, uint64 extension, uint96 bondPerGas) {
        // INVARIANT: every dependency exists.
        if (address(oneStep) == address(0)) revert ZeroAddress("oneStep");
        if (address(token) == address(0)) revert ZeroAddress("token");
        if (hub == address(0)) revert ZeroAddress("hub");
        // INVARIANT: a clock leaves time to move (and to be included on an L2) yet bounds the game.
        if (clock < MIN_CLOCK || clock > MAX_CLOCK) revert ClockOutOfRange(clock, MIN_CLOCK, MAX_CLOCK);
        // INVARIANT: the extension cannot make a clock longer than a fresh one.
        if (extension == 0 || extension > clock) revert ExtensionOutOfRange(extension, clock);
        // INVARIANT: a challenge costs the defender's largest gas for a path at the capped price, so a
        // griefing challenger pays the defender's whole cost of answering it.
        if (bondPerGas == 0) revert BondZero();
        if (bondPerGas > type(uint96).max / DEFENDER_GAS_PER_PATH) {
            revert BondPerGasOutOfRange(bondPerGas, type(uint96).max / DEFENDER_GAS_PER_PATH);
        }
        ONE_STEP = oneStep;
        TOKEN = token;
        HUB = hub;
        CLOCK = clock;
        EXTENSION = extension;
        BOND_PER_GAS = bondPerGas;
        CHALLENGER_BOND = uint96(DEFENDER_GAS_PER_PATH * bondPerGas);
    }

    // ------------------------------------------------------------------ the hub

    /// @inheritdoc IRefereeGame
    function create(
        bytes32 stepsHash,
        uint256 steps,
        bytes32 inputRoot,
        bytes32 outputRoot,
        address defender
    ) external returns (uint256 gameId) {
        // INVARIANT: only the hub opens games (it binds the input and output roots to the job).
        if (msg.sender != HUB) revert NotHub(msg.sender);
        // INVARIANT: a game has at least one step and its roots fit one bounded calldata array.
        if (steps == 0 || steps > MAX_STEPS) revert StepsOutOfRange(steps, MAX_STEPS);
        // INVARIANT: the defender can move and be credited.
        if (defender == address(0)) revert ZeroDefender();
        gameId = ++_gameCount;
        Game storage g = _games[gameId];
        g.defender = defender;
        g.createdAt = uint64(block.timestamp);
        g.steps = uint16(steps);
        g.status = GameStatus.Active;
        g.stepsHash = stepsHash;
        g.inputRoot = inputRoot;
        g.outputRoot = outputRoot;
        emit GameCreated(gameId, defender, stepsHash, steps, inputRoot, outputRoot);
    }

    // ------------------------------------------------------------------ the defender

    /// @inheritdoc IRefereeGame
    function postRoots(uint256 gameId, bytes32[] calldata tensorRoots) external {
        Game storage g = _defenderGame(gameId);
        // INVARIANT: the trace root is set once; every path reads the same trace.
        if (g.rootsPostedAt != 0) revert RootsAlreadyPosted(gameId);
        uint256 steps = g.steps;
        // INVARIANT: one root per tensor: the input and each step's output.
        if (tensorRoots.length != steps + 1) revert WrongRootCount(steps + 1, tensorRoots.length);
        // INVARIANT: the trace starts at the job's own input ...
        if (tensorRoots[0] != g.inputRoot) revert InputRootMismatch(g.inputRoot, tensorRoots[0]);
        // INVARIANT: ... and ends at its posted output, so an honest trace cannot stand beside a wrong output.
        if (tensorRoots[steps] != g.outputRoot) revert OutputRootMismatch(g.outputRoot, tensorRoots[steps]);
        bytes32 root = TraceMerkle.traceRoot(tensorRoots);
        g.traceRoot = root;
        g.rootsPostedAt = uint64(block.timestamp);
        emit RootsPosted(gameId, root, tensorRoots);
    }

    /// @inheritdoc IRefereeGame
    function open(uint256 gameId, bytes32 node, bytes32[16] calldata children) external {
        _defenderOpening(gameId, node);
        bytes32 computed = TraceMerkle.nodeHash(children);
        // INVARIANT: the children are the node's, so each path walks the defender's committed tree.
        if (computed != node) revert ChildrenMismatch(node, computed);
        _openings[gameId][node] = Opening({openedAt: uint64(block.timestamp), kind: NodeKind.Inner});
        emit NodeOpened(gameId, node, children);
    }

    /// @inheritdoc IRefereeGame
    function openLeaf(uint256 gameId, bytes32 node, bytes calldata leaf) external {
        _defenderOpening(gameId, node);
        // TraceMerkle.leafHash refuses a leaf that is not exactly 1,024 bytes (LeafNotWhole).
        bytes32 computed = TraceMerkle.leafHash(leaf);
        // INVARIANT: the leaf is the node's (leaf and node hashes differ by prefix, so a node is one or the other).
        if (computed != node) revert LeafMismatch(node, computed);
        _openings[gameId][node] = Opening({openedAt: uint64(block.timestamp), kind: NodeKind.Leaf});
        emit LeafOpened(gameId, node, leaf);
    }

    // ------------------------------------------------------------------ challengers

    /// @inheritdoc IRefereeGame
    function join(uint256 gameId) external nonReentrant returns (uint256 pathId) {
        Game storage g = _activeGame(gameId);
        uint256 closesAt = uint256(g.createdAt) + CLOCK;
        // INVARIANT: joins close, so the game's length is bounded (maxDuration).
        if (block.timestamp > closesAt) revert JoinWindowClosed(gameId, closesAt);
        pathId = ++g.pathCount;
        ++g.livePaths;
        _paths[gameId][pathId] = Path({
            challenger: msg.sender,
            turnStart: uint64(block.timestamp),
            depth: 0,
            status: PathStatus.Joined,
            node: bytes32(0),
            defenderLeft: CLOCK,
            challengerLeft: CLOCK,
            leafIndex: 0,
            step: 0
        });
        emit Joined(gameId, pathId, msg.sender);
        TOKEN.safeTransferFrom(msg.sender, address(this), CHALLENGER_BOND);
    }

    /// @inheritdoc IRefereeGame
    function pickStep(uint256 gameId, uint256 pathId, uint256 step, bytes32[] calldata tensorRoots) external {
        (Game storage g, Path storage p) = _challengerMove(gameId, pathId, PathStatus.Joined);
        // INVARIANT: the step is one of the program's.
        if (step >= g.steps) revert StepOutOfRange(step, g.steps);
        // INVARIANT: the path starts at the defender's own committed output root of the step.
        if (tensorRoots.length != uint256(g.steps) + 1) revert WrongRootCount(uint256(g.steps) + 1, tensorRoots.length);
        bytes32 computed = TraceMerkle.traceRoot(tensorRoots);
        if (computed != g.traceRoot) revert TraceRootMismatch(g.traceRoot, computed);
        bytes32 node = tensorRoots[step + 1];
        p.status = PathStatus.AtNode;
        p.step = uint16(step);
        p.node = node;
        emit StepPicked(gameId, pathId, step, node);
    }

    /// @inheritdoc IRefereeGame
    function pick(uint256 gameId, uint256 pathId, uint8 child, bytes32[16] calldata children) external {
        (, Path storage p) = _challengerMove(gameId, pathId, PathStatus.AtNode);
        bytes32 node = p.node;
        NodeKind kind = _openings[gameId][node].kind;
        // INVARIANT: a path moves down only through a node the defender opened as an inner node.
        if (kind != NodeKind.Inner) revert NodeNotOpened(gameId, node, kind);
        // INVARIANT: the child is one of the node's 16 positions.
        if (child >= 16) revert ChildOutOfRange(child);
        bytes32 computed = TraceMerkle.nodeHash(children);
        // INVARIANT: the children are the ones the defender opened.
        if (computed != node) revert ChildrenMismatch(node, computed);
        // INVARIANT: a zero child is past the data: no leaf or node hashes to zero.
        if (children[child] == bytes32(0)) revert ZeroChild(child);
        if (p.depth >= MAX_DEPTH) {
            // An inner node at MAX_DEPTH: the defender's tree is deeper than any tensor's.
            _win(gameId, pathId, EndReason.MalformedTree);
            return;
        }
        p.node = children[child];
        uint256 depth = p.depth + 1;
        p.depth = uint8(depth);
        // depth <= MAX_DEPTH, so leafIndex < 16^8 = 2^32 fits a uint64.
        p.leafIndex = p.leafIndex * 16 + child;
        emit ChildPicked(gameId, pathId, child, children[child], depth);
    }

    /// @inheritdoc IRefereeGame
    function conclude(uint256 gameId, uint256 pathId, Witness calldata witness) external {
        (Game storage g, Path storage p) = _challengerMove(gameId, pathId, PathStatus.AtNode);
        bytes32 node = p.node;
        NodeKind kind = _openings[gameId][node].kind;
        // INVARIANT: the last move is made at a leaf the defender opened.
        if (kind != NodeKind.Leaf) revert LeafNotOpened(gameId, node, kind);
        uint256 step = p.step;
        // INVARIANT: the descriptor is the registered program's for the path's step (its output size is trusted below).
        if (
            keccak256(abi.encodePacked(witness.descHashes)) != g.stepsHash ||
            witness.descHashes.length != g.steps ||
            keccak256(witness.descriptor) != witness.descHashes[step]
        ) revert DescriptorNotCommitted(step);
        uint256 bytes_ = ONE_STEP.outputCount(witness.descriptor); // one byte per element
        uint256 leaves = bytes_ == 0 ? 1 : (bytes_ + LEAF - 1) / LEAF;
        if (p.depth != TraceMerkle.depthFor(bytes_) || p.leafIndex >= leaves) {
            // The defender's tree is not the shape the step's output has: its commitment is wrong.
            _win(gameId, pathId, EndReason.MalformedTree);
            return;
        }
        // INVARIANT: the element is in the leaf the path reached (the one-step proves that leaf against the same root).
        if (witness.element / LEAF != p.leafIndex) revert ElementNotInLeaf(witness.element, p.leafIndex);
        if (_fault(g, step, witness)) _win(gameId, pathId, EndReason.Fault);
        else _lose(gameId, pathId, EndReason.Upheld);
    }

    // ------------------------------------------------------------------ anyone

    /// @inheritdoc IRefereeGame
    function timeout(uint256 gameId, uint256 pathId) external {
        _activeGame(gameId);
        Path storage p = _livePath(gameId, pathId);
        Turn memory t = _turn(gameId, p);
        if (t.defenderToMove && t.defenderOut) _win(gameId, pathId, EndReason.DefenderTimeout);
        else if (!t.defenderToMove && t.challengerOut)
            _lose(gameId, pathId, EndReason.ChallengerTimeout);
            // INVARIANT: a path is ended by time only once the side to move has used up its clock.
        else revert ClockNotExpired(gameId, pathId);
    }

    /// @inheritdoc IRefereeGame
    function refund(uint256 gameId, uint256 pathId) external {
        Game storage g = _games[gameId];
        // INVARIANT: bonds come back only once another path proved the defender wrong.
        if (g.status != GameStatus.Invalid) revert GameNotInvalid(gameId, g.status);
        Path storage p = _livePath(gameId, pathId);
        p.status = PathStatus.Void;
        --g.livePaths;
        emit PathEnded(gameId, pathId, p.challenger, PathStatus.Void, EndReason.Voided);
        _credit(p.challenger, CHALLENGER_BOND);
    }

    /// @inheritdoc IRefereeGame
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        // INVARIANT: a claim pays something.
        if (amount == 0) revert NothingToClaim(msg.sender);
        _credits[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IRefereeGame
    function verdict(uint256 gameId) external view returns (Verdict, uint256 winnerPath, address winner) {
        Game storage g = _games[gameId];
        if (g.status == GameStatus.Invalid) {
            winnerPath = g.winnerPath;
            return (Verdict.Invalid, winnerPath, _paths[gameId][winnerPath].challenger);
        }
        // Valid only after the join window: until then an honest challenger may still join (a defender's own
        // challenger that loses at once must not end the game).
        bool valid = g.status == GameStatus.Active &&
            g.livePaths == 0 &&
            g.endedPaths > 0 &&
            block.timestamp > uint256(g.createdAt) + CLOCK;
        return (valid ? Verdict.Valid : Verdict.Undecided, 0, address(0));
    }

    /// @inheritdoc IRefereeGame
    function clocks(
        uint256 gameId,
        uint256 pathId
    ) external view returns (bool defenderToMove, uint256 defenderLeft, uint256 challengerLeft) {
        Turn memory t = _turn(gameId, _paths[gameId][pathId]);
        return (t.defenderToMove, t.defenderLeft, t.challengerLeft);
    }

    /// @inheritdoc IRefereeGame
    function maxDuration() external view returns (uint256) {
        return 3 * uint256(CLOCK) + (2 * MAX_DEPTH + 3) * uint256(EXTENSION) + 1;
    }

    /// @inheritdoc IRefereeGame
    function game(uint256 gameId) external view returns (Game memory) {
        return _games[gameId];
    }

    /// @inheritdoc IRefereeGame
    function path(uint256 gameId, uint256 pathId) external view returns (Path memory) {
        return _paths[gameId][pathId];
    }

    /// @inheritdoc IRefereeGame
    function opening(uint256 gameId, bytes32 node) external view returns (NodeKind kind, uint64 openedAt) {
        Opening storage o = _openings[gameId][node];
        return (o.kind, o.openedAt);
    }

    /// @inheritdoc IRefereeGame
    function credit(address account) external view returns (uint256) {
        return _credits[account];
    }

    // ------------------------------------------------------------------ internal

    /// @dev An Active game.
    function _activeGame(uint256 gameId) internal view returns (Game storage g) {
        g = _games[gameId];
        // INVARIANT: moves are made only in existing games that are not decided.
        if (g.status == GameStatus.None) revert UnknownGame(gameId);
        if (g.status != GameStatus.Active) revert GameOver(gameId, g.status);
    }

    /// @dev An Active game whose defender is the caller.
    function _defenderGame(uint256 gameId) internal view returns (Game storage g) {
        g = _activeGame(gameId);
        // INVARIANT: only the defender moves for its trace.
        if (msg.sender != g.defender) revert NotDefender(gameId, msg.sender);
    }

    /// @dev Checks a defender opening: the roots are posted and the node is not opened yet.
    function _defenderOpening(uint256 gameId, bytes32 node) internal view {
        Game storage g = _defenderGame(gameId);
        // INVARIANT: the trees opened are those of a posted trace.
        if (g.rootsPostedAt == 0) revert RootsNotPosted(gameId);
        // INVARIANT: each node is opened once for all paths, so the game does not grow with challengers.
        if (_openings[gameId][node].kind != NodeKind.None) revert AlreadyOpened(gameId, node);
    }

    /// @dev A live path (Joined or AtNode).
    function _livePath(uint256 gameId, uint256 pathId) internal view returns (Path storage p) {
        p = _paths[gameId][pathId];
        // INVARIANT: only a live path moves or ends.
        if (p.status == PathStatus.None) revert UnknownPath(gameId, pathId);
        if (p.status != PathStatus.Joined && p.status != PathStatus.AtNode) revert WrongStage(gameId, pathId, p.status);
    }

    /// @dev Checks a challenger move on a path at `stage` and charges the clocks: the challenger's time since
    ///      its turn began; the defender's, if the move follows the defender's on this path, is settled; the
    ///      defender's clock is raised to EXTENSION (the challenger moved), and the turn restarts now.
    function _challengerMove(
        uint256 gameId,
        uint256 pathId,
        PathStatus stage
    ) internal returns (Game storage g, Path storage p) {
        g = _activeGame(gameId);
        p = _livePath(gameId, pathId);
        // INVARIANT: a path is driven by its own challenger only, so the bounty goes to the path that found the fault.
        if (msg.sender != p.challenger) revert NotPathOwner(gameId, pathId, msg.sender);
        // INVARIANT: each move fits the path's stage.
        if (p.status != stage) revert WrongStage(gameId, pathId, p.status);
        Turn memory t = _turn(gameId, p);
        // INVARIANT: the challenger moves only on its turn, and only while both clocks allow it.
        if (t.defenderOut) revert DefenderOutOfTime(gameId, pathId);
        if (t.defenderToMove) revert WrongTurn(gameId, pathId);
        if (t.challengerOut) revert ClockExpired(gameId, pathId);
        p.challengerLeft = uint64(t.challengerLeft);
        p.defenderLeft = uint64(t.defenderLeft < EXTENSION ? EXTENSION : t.defenderLeft);
        p.turnStart = uint64(block.timestamp);
    }

    /// @dev The path's turn now. Its pending defender move is the roots (Joined) or its node's opening
    ///      (AtNode). Unmade: the defender's clock runs from turnStart. Made at `openedAt`: the defender used
    ///      `openedAt - turnStart` if it moved after the challenger (nothing if the node was opened earlier,
    ///      for another path) and, moving in time, raised the challenger's clock to EXTENSION; the challenger's
    ///      clock runs from the later of the two times.
    function _turn(uint256 gameId, Path storage p) internal view returns (Turn memory t) {
        uint256 openedAt = p.status == PathStatus.Joined
            ? _games[gameId].rootsPostedAt
            : _openings[gameId][p.node].openedAt;
        uint256 start = p.turnStart;
        t.defenderLeft = p.defenderLeft;
        t.challengerLeft = p.challengerLeft;
        if (openedAt == 0 || openedAt >= start) {
            uint256 until = openedAt == 0 ? block.timestamp : openedAt;
            // until >= start in both branches (turnStart is never in the future).
            uint256 used = until - start;
            if (used > t.defenderLeft) {
                t.defenderOut = true;
                t.defenderToMove = true;
                t.defenderLeft = 0;
                return t;
            }
            t.defenderLeft -= used;
            if (openedAt == 0) {
                t.defenderToMove = true;
                return t;
            }
            if (t.challengerLeft < EXTENSION) t.challengerLeft = EXTENSION;
            start = openedAt;
        }
        uint256 spent = block.timestamp - start;
        if (spent > t.challengerLeft) {
            t.challengerOut = true;
            t.challengerLeft = 0;
        } else {
            t.challengerLeft -= spent;
        }
    }

    /// @dev Whether the one-step's recomputed element differs from the defender's (reverts if it refuses the witness).
    ///      A function of its own, so that the call's twelve stack slots fit.
    function _fault(Game storage g, uint256 step, Witness calldata w) internal view returns (bool) {
        (int256 expected, int256 claimed) = ONE_STEP.check(
            g.stepsHash,
            w.descHashes,
            step,
            w.descriptor,
            g.traceRoot,
            w.tensorRoots,
            w.element,
            w.ranges
        );
        return expected != claimed;
    }

    /// @dev Ends a path as the winner: the game becomes Invalid, the path its winner, the bond comes back.
    function _win(uint256 gameId, uint256 pathId, EndReason reason) internal {
        Game storage g = _games[gameId];
        Path storage p = _paths[gameId][pathId];
        p.status = PathStatus.Won;
        --g.livePaths;
        ++g.endedPaths;
        g.status = GameStatus.Invalid;
        g.winnerPath = uint32(pathId);
        emit PathEnded(gameId, pathId, p.challenger, PathStatus.Won, reason);
        emit GameDecided(gameId, Verdict.Invalid, pathId);
        _credit(p.challenger, CHALLENGER_BOND);
    }

    /// @dev Ends a path as the loser: its bond goes to the defender (the game is Valid once no path is live after the join window).
    function _lose(uint256 gameId, uint256 pathId, EndReason reason) internal {
        Game storage g = _games[gameId];
        Path storage p = _paths[gameId][pathId];
        p.status = PathStatus.Lost;
        --g.livePaths;
        ++g.endedPaths;
        emit PathEnded(gameId, pathId, p.challenger, PathStatus.Lost, reason);
        _credit(g.defender, CHALLENGER_BOND);
    }

    /// @dev Credits `amount` to `account`, to be claimed.
    function _credit(address account, uint256 amount) internal {
        _credits[account] += amount;
        emit Credited(account, amount);
    }
}
