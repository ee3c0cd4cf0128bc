// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Verdict} from "../types/Types.sol";
import {IRefereeOneStep} from "./IRefereeOneStep.sol";

/// @title IRefereeGame
/// @notice The one-sided refereed dispute game of issue 15 (docs/REFEREE.md fixes the commitments). The
///         hub opens a game on a result; the defender (the executor) posts its per-tensor roots, bound to
///         the job's input and output roots; challengers join with a bond, each on its own path. On a path
///         the challenger picks a step, then walks down the defender's 16-ary tree of that step's output,
///         which the defender opens node by node (each node once for all paths of the game), to one
///         1 KiB leaf; there it names one element and the one-step recomputes it from the defender's own
///         committed operands. A differing value, a malformed tree or a defender timeout on any path
///         makes the result Invalid and that path's challenger the winner; an upheld value or a
///         challenger timeout ends only that path and its bond goes to the defender.
/// @dev Clocks: each path has two chess clocks (the defender's and the challenger's remaining seconds)
///      and the time its current turn began. Whose turn it is follows from the path's state: waiting for
///      the roots or for its node to be opened is the defender's turn, anything else the challenger's.
///      Defender moves are shared and touch no path: a path charges the defender lazily, from the time
///      its node was opened, so a node opened earlier for another path costs this path nothing. When a
///      side moves with its opponent's remaining time under EXTENSION, the opponent's is raised to
///      EXTENSION (as Optimism's FaultDisputeGame extends clocks). Payouts are credited, then claimed.
interface IRefereeGame {
    /// @notice Where a game stands. Valid is not a status: it follows from time (see verdict), so that a
    ///         defender's own challenger that loses at once cannot close the game to honest ones.
    enum GameStatus {
        None,
        Active,
        Invalid
    }

    /// @notice Where a path stands: Joined (waiting for the roots, then for the challenger's step),
    ///         AtNode (at a node of the step's output tree), or ended: Won (it proved the defender
    ///         wrong), Lost (the defender's value was upheld or the challenger timed out), Void (the
    ///         game was proven Invalid by another path; the bond is refunded).
    enum PathStatus {
        None,
        Joined,
        AtNode,
        Won,
        Lost,
        Void
    }

    /// @notice How a node of a game's trees was opened by the defender.
    enum NodeKind {
        None,
        Inner,
        Leaf
    }

    /// @notice Why a path ended.
    enum EndReason {
        Fault, // the one-step's recomputed element differs from the defender's
        MalformedTree, // the defender's tree is deeper or shallower than the output's, or its leaf lies past the data
        DefenderTimeout, // the defender's clock ran out on the path
        Upheld, // the one-step recomputed the defender's value
        ChallengerTimeout, // the challenger's clock ran out
        Voided // another path proved the game Invalid first
    }

    /// @notice One game. Slot 0: the defender, creation time, step count, status. Slot 1: the roots' time and
    ///         the path counters. Then the registered steps hash, the bound input and output roots and the
    ///         defender's trace root (zero until posted).
    struct Game {
        address defender;
        uint64 createdAt;
        uint16 steps;
        GameStatus status;
        uint64 rootsPostedAt; // zero until the defender posts its roots
        uint32 pathCount; // path ids run 1 .. pathCount
        uint32 livePaths; // Joined or AtNode
        uint32 endedPaths; // Won or Lost
        uint32 winnerPath; // the path that proved the game Invalid (0 if none)
        bytes32 stepsHash;
        bytes32 inputRoot;
        bytes32 outputRoot;
        bytes32 traceRoot;
    }

    /// @notice One challenger's path. Slot 0: the challenger, its turn's start, its depth and status. Slot 1:
    ///         the node it stands at. Slot 2: both clocks' remaining seconds at turnStart, the leaf index
    ///         digits so far (base 16, most significant first) and the disputed step.
    struct Path {
        address challenger;
        uint64 turnStart; // when the challenger last moved (or joined)
        uint8 depth; // picks made below the step's output root
        PathStatus status;
        bytes32 node;
        uint64 defenderLeft;
        uint64 challengerLeft;
        uint64 leafIndex;
        uint16 step;
    }

    /// @notice The challenger's last move: everything IRefereeOneStep.check takes besides what the game holds
    ///         (the steps hash, the step and the trace root). A struct, so that the call fits the stack.
    struct Witness {
        bytes32[] descHashes;
        bytes descriptor;
        bytes32[] tensorRoots;
        uint256 element;
        IRefereeOneStep.Range[] ranges;
    }

    /// @notice Emitted when the hub opens a game on a result.
    event GameCreated(
        uint256 indexed gameId,
        address indexed defender,
        bytes32 stepsHash,
        uint256 steps,
        bytes32 inputRoot,
        bytes32 outputRoot
    );
    /// @notice Emitted when the defender posts its tensor roots (challengers read them here).
    event RootsPosted(uint256 indexed gameId, bytes32 traceRoot, bytes32[] tensorRoots);
    /// @notice Emitted when a challenger joins a game with its bond.
    event Joined(uint256 indexed gameId, uint256 indexed pathId, address indexed challenger);
    /// @notice Emitted when a path's challenger picks the step it disputes; the path stands at that step's output root.
    event StepPicked(uint256 indexed gameId, uint256 indexed pathId, uint256 step, bytes32 node);
    /// @notice Emitted when the defender opens an inner node of one of its trees (challengers read the children here).
    event NodeOpened(uint256 indexed gameId, bytes32 indexed node, bytes32[16] children);
    /// @notice Emitted when the defender opens a leaf of one of its trees.
    event LeafOpened(uint256 indexed gameId, bytes32 indexed node, bytes leaf);
    /// @notice Emitted when a path's challenger moves down to child `child` of its node.
    event ChildPicked(uint256 indexed gameId, uint256 indexed pathId, uint8 child, bytes32 node, uint256 depth);
    /// @notice Emitted when a path ends (Won, Lost or Void).
    event PathEnded(
        uint256 indexed gameId,
        uint256 indexed pathId,
        address indexed challenger,
        PathStatus status,
        EndReason reason
    );
    /// @notice Emitted when a path proves the game Invalid (the verdict is final); Valid follows from time and emits nothing.
    event GameDecided(uint256 indexed gameId, Verdict verdict, uint256 winnerPath);
    /// @notice Emitted when an amount is credited to an account.
    event Credited(address indexed account, uint256 amount);
    /// @notice Emitted when an account claims its credit.
    event Claimed(address indexed account, uint256 amount);

    /// @notice Thrown when a constructor address is zero (`name` says which, as IGlassboxErrors.ZeroAddress does).
    error ZeroAddress(string name);
    /// @notice Thrown when the clock is outside [MIN_CLOCK, MAX_CLOCK].
    error ClockOutOfRange(uint256 clock, uint256 min, uint256 max);
    /// @notice Thrown when the extension is zero or longer than the clock.
    error ExtensionOutOfRange(uint256 extension, uint256 clock);
    /// @notice Thrown when the challenger bond is zero.
    error BondZero();
    /// @notice Thrown when the bond per gas would make the bond overflow a uint96.
    error BondPerGasOutOfRange(uint256 bondPerGas, uint256 maximum);
    /// @notice Thrown when a caller other than the hub opens a game.
    error NotHub(address caller);
    /// @notice Thrown when a game's step count is outside [1, MAX_STEPS].
    error StepsOutOfRange(uint256 steps, uint256 max);
    /// @notice Thrown when the defender is the zero address.
    error ZeroDefender();
    /// @notice Thrown when a game id is unknown.
    error UnknownGame(uint256 gameId);
    /// @notice Thrown when a game is no longer Active.
    error GameOver(uint256 gameId, GameStatus status);
    /// @notice Thrown when a defender move comes from another account.
    error NotDefender(uint256 gameId, address caller);
    /// @notice Thrown when the roots are posted a second time.
    error RootsAlreadyPosted(uint256 gameId);
    /// @notice Thrown when a node is opened before the roots are posted.
    error RootsNotPosted(uint256 gameId);
    /// @notice Thrown when the roots are not one per tensor (steps + 1).
    error WrongRootCount(uint256 expected, uint256 given);
    /// @notice Thrown when tensor 0's root is not the job's input root.
    error InputRootMismatch(bytes32 expected, bytes32 given);
    /// @notice Thrown when the last tensor's root is not the job's output root.
    error OutputRootMismatch(bytes32 expected, bytes32 given);
    /// @notice Thrown when tensor roots do not hash to the defender's trace root.
    error TraceRootMismatch(bytes32 expected, bytes32 computed);
    /// @notice Thrown when a challenger joins after the join window (CLOCK seconds from creation) closed.
    error JoinWindowClosed(uint256 gameId, uint256 closedAt);
    /// @notice Thrown when a path id is unknown in its game.
    error UnknownPath(uint256 gameId, uint256 pathId);
    /// @notice Thrown when a path is driven by another account than its challenger.
    error NotPathOwner(uint256 gameId, uint256 pathId, address caller);
    /// @notice Thrown when a move does not fit the path's status (e.g. pickStep twice, pick before pickStep).
    error WrongStage(uint256 gameId, uint256 pathId, PathStatus status);
    /// @notice Thrown when the challenger moves while it is the defender's turn on the path.
    error WrongTurn(uint256 gameId, uint256 pathId);
    /// @notice Thrown when the challenger moves on a path whose defender clock ran out: call timeout instead.
    error DefenderOutOfTime(uint256 gameId, uint256 pathId);
    /// @notice Thrown when the challenger moves after its own clock ran out.
    error ClockExpired(uint256 gameId, uint256 pathId);
    /// @notice Thrown when the picked step is not a step of the program.
    error StepOutOfRange(uint256 step, uint256 steps);
    /// @notice Thrown when a node is opened a second time.
    error AlreadyOpened(uint256 gameId, bytes32 node);
    /// @notice Thrown when the children do not hash to the node.
    error ChildrenMismatch(bytes32 node, bytes32 computed);
    /// @notice Thrown when the leaf does not hash to the node.
    error LeafMismatch(bytes32 node, bytes32 computed);
    /// @notice Thrown when the challenger picks a child of a node not opened as an inner node.
    error NodeNotOpened(uint256 gameId, bytes32 node, NodeKind kind);
    /// @notice Thrown when the child index is not below 16.
    error ChildOutOfRange(uint256 child);
    /// @notice Thrown when the picked child is zero (a position past the data).
    error ZeroChild(uint256 child);
    /// @notice Thrown when the challenger concludes at a node not opened as a leaf.
    error LeafNotOpened(uint256 gameId, bytes32 node, NodeKind kind);
    /// @notice Thrown when the descriptor or its hashes are not the program's for the path's step.
    error DescriptorNotCommitted(uint256 step);
    /// @notice Thrown when the named element does not lie in the path's leaf.
    error ElementNotInLeaf(uint256 element, uint256 leafIndex);
    /// @notice Thrown when a timeout is called before the side to move has exhausted its clock.
    error ClockNotExpired(uint256 gameId, uint256 pathId);
    /// @notice Thrown when a path is refunded on a game that is not Invalid.
    error GameNotInvalid(uint256 gameId, GameStatus status);
    /// @notice Thrown when an account with no credit claims.
    error NothingToClaim(address account);

    /// @notice Opens a game on a result: the defender must post its roots first. Hub only.
    /// @param stepsHash The refereeable model's registered steps hash.
    /// @param steps The program's step count, 1 .. MAX_STEPS.
    /// @param inputRoot The root of the job's input tensor (computed by the hub from its canonical bytes).
    /// @param outputRoot The root of the job's posted output tensor.
    /// @param defender The executor whose trace is disputed.
    /// @return gameId The new game's id (from 1).
    function create(
        bytes32 stepsHash,
        uint256 steps,
        bytes32 inputRoot,
        bytes32 outputRoot,
        address defender
    ) external returns (uint256 gameId);

    /// @notice The defender's first move: its tensor roots, bound to the job's input and output. Stores only their trace root.
    /// @param gameId The game.
    /// @param tensorRoots steps + 1 roots: tensor 0 (the input, equal to inputRoot) .. tensor steps (the output, equal to outputRoot).
    function postRoots(uint256 gameId, bytes32[] calldata tensorRoots) external;

    /// @notice Joins a game as a challenger, on a new path; pulls CHALLENGER_BOND. Open for CLOCK seconds from creation.
    /// @param gameId The game.
    /// @return pathId The new path's id (from 1).
    function join(uint256 gameId) external returns (uint256 pathId);

    /// @notice The challenger picks the step it disputes; the path then stands at that step's output root.
    /// @param gameId The game.
    /// @param pathId The challenger's path.
    /// @param step The step, below the game's step count.
    /// @param tensorRoots The defender's tensor roots (from RootsPosted), checked against its trace root.
    function pickStep(uint256 gameId, uint256 pathId, uint256 step, bytes32[] calldata tensorRoots) external;

    /// @notice The defender opens an inner node of one of its trees, once for all paths of the game.
    /// @param gameId The game.
    /// @param node The node.
    /// @param children Its 16 children; `sha256(0x01 || children)` must equal `node`.
    function open(uint256 gameId, bytes32 node, bytes32[16] calldata children) external;

    /// @notice The defender opens a leaf of one of its trees, once for all paths of the game.
    /// @param gameId The game.
    /// @param node The leaf's hash.
    /// @param leaf Its 1,024 bytes; `sha256(0x00 || leaf)` must equal `node`.
    function openLeaf(uint256 gameId, bytes32 node, bytes calldata leaf) external;

    /// @notice The challenger moves down to one child of its node, which the defender opened as an inner node.
    ///         At depth MAX_DEPTH an inner node proves the defender's tree malformed and the path wins.
    /// @param gameId The game.
    /// @param pathId The challenger's path.
    /// @param child The child's position, 0 .. 15; the child must be non-zero.
    /// @param children The node's 16 children (from NodeOpened).
    function pick(uint256 gameId, uint256 pathId, uint8 child, bytes32[16] calldata children) external;

    /// @notice The challenger's last move, at a node the defender opened as a leaf: names one element of that
    ///         leaf and has the one-step recompute it. A differing value (or a malformed tree: the path's depth
    ///         is not the output tree's, or the leaf lies past the data) wins the path and makes the game
    ///         Invalid; an equal value loses the path. Reverts if the one-step refuses the witness.
    /// @param gameId The game.
    /// @param pathId The challenger's path.
    /// @param witness The descriptors' hashes, the step's descriptor, the defender's tensor roots, the element
    ///        (in the step output's committed order; element / 1024 is the path's leaf) and the ranges.
    function conclude(uint256 gameId, uint256 pathId, Witness calldata witness) external;

    /// @notice Ends a path whose side to move has exhausted its clock; anyone may call it. A defender timeout
    ///         makes the game Invalid (the path's challenger wins); a challenger timeout loses the path.
    /// @param gameId The game.
    /// @param pathId The path.
    function timeout(uint256 gameId, uint256 pathId) external;

    /// @notice Voids a live path of a game already proven Invalid and credits its challenger's bond back; anyone may call it.
    /// @param gameId The game.
    /// @param pathId The path.
    function refund(uint256 gameId, uint256 pathId) external;

    /// @notice Pays the caller its whole credit.
    /// @return amount The amount transferred.
    function claim() external returns (uint256 amount);

    /// @notice The game's verdict: Invalid as soon as a path proved a fault or the defender timed out; Valid once
    ///         the join window (CLOCK seconds from creation) has closed, no path is live and at least one ended;
    ///         Undecided otherwise (a game nobody joined stays Undecided: the hub decides what that means).
    /// @param gameId The game.
    /// @return verdict The verdict.
    /// @return winnerPath The path that proved it Invalid (0 otherwise).
    /// @return winner That path's challenger, the bounty's recipient (zero otherwise).
    function verdict(uint256 gameId) external view returns (Verdict verdict, uint256 winnerPath, address winner);

    /// @notice Whose turn it is on a path and both sides' remaining seconds now (0 when exhausted).
    /// @param gameId The game.
    /// @param pathId The path.
    /// @return defenderToMove True when the defender must move (roots or an opening), or its clock ran out.
    /// @return defenderLeft The defender's remaining seconds on the path.
    /// @return challengerLeft The challenger's remaining seconds on the path.
    function clocks(
        uint256 gameId,
        uint256 pathId
    ) external view returns (bool defenderToMove, uint256 defenderLeft, uint256 challengerLeft);

    /// @notice The longest a game can last, in seconds from creation, before every path can be ended:
    ///         `3 * CLOCK + (2 * MAX_DEPTH + 3) * EXTENSION + 1`. The join window is CLOCK; a path then has
    ///         at most 2 * MAX_DEPTH + 3 moves that raise the opponent's clock (10 defender moves: the roots and
    ///         MAX_DEPTH + 1 openings; 9 challenger moves that hand the turn over: pickStep and MAX_DEPTH picks),
    ///         each raising it by at most EXTENSION, on top of CLOCK per side; a timeout needs one second more.
    /// @return The bound in seconds.
    function maxDuration() external view returns (uint256);

    /// @notice A game.
    /// @param gameId The game.
    /// @return The game's record.
    function game(uint256 gameId) external view returns (Game memory);

    /// @notice A path.
    /// @param gameId The game.
    /// @param pathId The path.
    /// @return The path's record.
    function path(uint256 gameId, uint256 pathId) external view returns (Path memory);

    /// @notice How and when a node was opened in a game.
    /// @param gameId The game.
    /// @param node The node.
    /// @return kind None, Inner or Leaf.
    /// @return openedAt When it was opened (0 if not).
    function opening(uint256 gameId, bytes32 node) external view returns (NodeKind kind, uint64 openedAt);

    /// @notice An account's unclaimed credit.
    /// @param account The account.
    /// @return The credit.
    function credit(address account) external view returns (uint256);
}
