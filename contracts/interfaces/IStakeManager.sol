// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Role} from "../types/Types.sol";
import {IGoverned} from "./IGoverned.sol";

/// @title IStakeManager
/// @notice Nodes stake the protocol token per role (executor, verifier). Stake backs every job a
///         node takes: part of it is locked per live job, it can be slashed by the protocol's own
///         contracts (even while unbonding), and it weights the random draws of executors and
///         committees, which cost O(log n) in the number of nodes.
interface IStakeManager is IGoverned {
    /// @notice One node's stake in one role.
    /// @dev Slot 0: active, locked, jailed. Slot 1: unbonding, releaseAt, jailedUntil.
    struct StakeAccount {
        uint96 active; // bonded stake: weights draws and can be slashed
        uint96 locked; // part of `active` held as collateral by live jobs
        bool jailed; // slashed below the role's minimum; cleared by `unjail` after `jailedUntil`
        uint96 unbonding; // leaving (both tranches); still slashable until withdrawn
        uint64 releaseAt; // when the earlier tranche can be withdrawn (see `laterTrancheOf`)
        uint64 jailedUntil; // end of the jail term (one unbonding period after the jailing slash)
    }

    /// @notice The later of a node's two unbonding tranches: stake asked out while earlier stake
    ///         was still unbonding. The earlier tranche is `unbonding - amount`, released at the
    ///         account's `releaseAt`; each new request joins (and re-times) the later one only.
    struct Tranche {
        uint96 amount;
        uint64 releaseAt;
    }

    /// @notice Thrown when an amount is zero or does not fit the stake's 96 bits.
    error InvalidAmount(uint256 amount);
    /// @notice Thrown when a node asks to unstake more than its unlocked active stake.
    error InsufficientFreeStake(uint256 requested, uint256 free);
    /// @notice Thrown when a withdrawal comes before the unbonding period ends.
    error StillUnbonding(uint64 releaseAt, uint64 nowTime);
    /// @notice Thrown when there is nothing to withdraw.
    error NothingToWithdraw();
    /// @notice Thrown when more collateral is released or slashed than the node has locked.
    error LockUnderflow(uint256 locked, uint256 amount);
    /// @notice Thrown when `unjail` comes before the jail term ends or with stake below the minimum.
    error StillJailed(uint64 jailedUntil, uint256 active, uint256 minimum);
    /// @notice Thrown when a draw asks for more seats than a draw may fill.
    error TooManySeats(uint256 requested, uint256 maximum);
    /// @notice Thrown when a draw is asked to exclude more addresses than it may.
    error TooManyExcluded(uint256 requested, uint256 maximum);
    /// @notice Thrown when an executor opts in to a model it is already in.
    error AlreadyOptedIn(address node, uint256 modelId);
    /// @notice Thrown when an executor opts out of a model it is not in.
    error NotOptedIn(address node, uint256 modelId);
    /// @notice Thrown when an executor already runs MAX_MODELS_PER_EXECUTOR models: opt out of one first.
    error TooManyModels(uint256 maximum);

    /// @notice Emitted when a node adds stake.
    event Staked(address indexed node, Role indexed role, uint256 amount, uint256 active);
    /// @notice Emitted when a node starts unbonding stake.
    event UnstakeRequested(address indexed node, Role indexed role, uint256 amount, uint64 releaseAt);
    /// @notice Emitted when a node withdraws unbonded stake.
    event Withdrawn(address indexed node, Role indexed role, uint256 amount);
    /// @notice Emitted when a job locks part of a node's stake as collateral.
    event StakeLocked(address indexed node, Role indexed role, uint256 amount);
    /// @notice Emitted when collateral is released.
    event StakeUnlocked(address indexed node, Role indexed role, uint256 amount);
    /// @notice Emitted when a node is slashed; `fromUnbonding` is the part taken from unbonding stake.
    event NodeSlashed(
        address indexed node,
        Role indexed role,
        uint256 amount,
        uint256 fromUnbonding,
        address indexed recipient
    );
    /// @notice Emitted when a slash leaves a node below its role's minimum.
    event NodeJailed(address indexed node, Role indexed role);
    /// @notice Emitted when a jailed node calls `unjail` after its jail term, back at the role's minimum.
    event NodeUnjailed(address indexed node, Role indexed role);
    /// @notice Emitted when an executor joins a model's draw pool (drawn from the next stake epoch on).
    event ModelOptedIn(address indexed node, uint256 indexed modelId);
    /// @notice Emitted when an executor leaves a model's draw pool (from the next stake epoch on).
    event ModelOptedOut(address indexed node, uint256 indexed modelId);
    /// @notice Emitted when `poke` recomputes a node's draw weight.
    event WeightRefreshed(address indexed node, Role indexed role, uint256 weight);
    /// @notice Emitted when a role's minimum stake changes.
    event MinStakeSet(Role indexed role, uint256 minStake);
    /// @notice Emitted when the unbonding period changes.
    event UnbondingPeriodSet(uint64 period);
    /// @notice Emitted once, when the deployer wires the two protocol contracts that may lock and slash.
    event Wired(address hub, address disputeManager);

    /// @notice Wires, once, the two contracts that may lock, unlock, slash and draw: the JobRegistry
    ///         and the DisputeManager. Deployer only.
    function wire(address hub, address disputes) external;

    /// @notice Stakes `amount` tokens for `role` (the caller must have approved this contract).
    function stake(Role role, uint256 amount) external;

    /// @notice Stakes with an EIP-2612 permit instead of a prior approval.
    function stakeWithPermit(Role role, uint256 amount, uint256 deadline, uint8 v, bytes32 r, bytes32 s) external;

    /// @notice Starts unbonding `amount` of the caller's unlocked active stake, released one
    ///         unbonding period from now. Stake already unbonding keeps its own release time: the
    ///         first request is the earlier tranche, later requests join the later tranche (whose
    ///         release time restarts from now).
    function requestUnstake(Role role, uint256 amount) external;

    /// @notice Withdraws the caller's unbonding stake whose release time has passed (the earlier
    ///         tranche, and the later one too when it is due); the later tranche, if not yet due,
    ///         becomes the earlier one.
    function withdraw(Role role) external;

    /// @notice Puts the calling executor in `modelId`'s draw pool, weighted by its executor stake,
    ///         from the next stake epoch on (the current epoch's snapshot does not see it). An
    ///         executor is drawn only for the models it opted in to, at most
    ///         MAX_MODELS_PER_EXECUTOR of them. The model is not checked: a pool no job draws from
    ///         costs its node nothing but a slot (the CLI checks the model first).
    function optIn(uint256 modelId) external;

    /// @notice Takes the calling executor out of `modelId`'s draw pool from the next stake epoch
    ///         on. A seat already drawn from the current snapshot is still its to serve or forfeit.
    function optOut(uint256 modelId) external;

    /// @notice Recomputes a node's weight in its role's draw pools, after a minimum-stake change.
    function poke(address node, Role role) external;

    /// @notice Releases `amount` of collateral that `lockSeat` locked. `locked` is always the exact
    ///         sum of the live jobs' collateral, so releasing more than is locked is a bug and reverts.
    ///         Protocol contracts only.
    function unlock(address node, Role role, uint256 amount) external;

    /// @notice Slashes `amount` of a node's locked collateral: the lock and the stake shrink by the
    ///         same amount, so the collateral of the node's other live jobs stays locked. Sends it to
    ///         `recipient`. Protocol contracts only.
    /// @return slashed `amount` (the collateral is always there: locked stake cannot leave).
    function slashLocked(address node, Role role, uint256 amount, address recipient) external returns (uint256 slashed);

    /// @notice Slashes up to `amount` of a node's stake that no job has locked: free active stake
    ///         first, then unbonding stake; sends it to `recipient`. Protocol contracts only.
    /// @return slashed What was actually taken (less than `amount` if the node has less).
    function slash(address node, Role role, uint256 amount, address recipient) external returns (uint256 slashed);

    /// @notice Clears a node's jail once its jail term is over and its stake is back at the role's minimum.
    function unjail(Role role) external;

    /// @notice Locks `collateral` of `node`'s stake in `role` if it may serve: not jailed, at least
    ///         the role's minimum staked and `collateral` unlocked. A drawn seat whose holder may not
    ///         serve is the caller's to penalise; nothing is locked then. Protocol contracts only.
    /// @return locked Whether the collateral was locked.
    function lockSeat(address node, Role role, uint256 collateral) external returns (bool locked);

    /// @notice Draws `seats` seats among the nodes of a pool WITH replacement (executors of a job
    ///         from its model's pool, verifiers of a committee from theirs), each proportional to
    ///         stake (and pool membership) as it stood when `epoch` began
    ///         (a node may hold several seats; splitting stake over sybils gains nothing). A seat whose draw lands on one of `exclude` is drawn again
    ///         from the next derived point, up to MAX_SEAT_TRIES times, then stays empty. Nothing
    ///         after the epoch began (stakes, slashes, jails, new nodes) changes the answer.
    /// @param role The role whose snapshot is drawn from.
    /// @param modelId For executors, the model whose opted-in executors are drawn; ignored for
    ///        verifiers (one pool).
    /// @param epoch The snapshot epoch; answerable while the current epoch is it or the next one.
    /// @param randomness The draw's randomness, fixed after the snapshot.
    /// @param seats The seats to fill (at most MAX_SEATS).
    /// @param exclude Nodes that may not hold a seat (the executor, the challenger, a failed executor).
    /// @return ok False when the snapshot can no longer be read (the caller must not draw).
    /// @return holders One entry per filled seat (repeats for a node holding several).
    function drawSeats(
        Role role,
        uint256 modelId,
        uint32 epoch,
        bytes32 randomness,
        uint256 seats,
        address[] calldata exclude
    ) external view returns (bool ok, address[] memory holders);

    /// @notice The current stake epoch: block.timestamp / EPOCH_LENGTH.
    function currentEpoch() external view returns (uint32);

    /// @notice The length of a stake epoch, in seconds.
    // solhint-disable-next-line func-name-mixedcase
    function EPOCH_LENGTH() external view returns (uint32);

    /// @notice The later unbonding tranche of `node` in `role` (zero when there is one tranche or none).
    function laterTrancheOf(address node, Role role) external view returns (Tranche memory);

    /// @notice A node's account in a role.
    function accountOf(address node, Role role) external view returns (StakeAccount memory);

    /// @notice True when the node can be drawn: not jailed and at least the role's minimum staked.
    function isEligible(address node, Role role) external view returns (bool);

    /// @notice A node's live weight in a draw pool: `modelId`'s executors, or (for verifiers, whose
    ///         `modelId` is ignored) the verifiers'. Zero in a model the executor did not opt in to.
    function weightOf(address node, Role role, uint256 modelId) external view returns (uint256);

    /// @notice The live sum of the weights in a draw pool (`modelId` as in `weightOf`).
    function totalWeight(Role role, uint256 modelId) external view returns (uint256);

    /// @notice The models an executor opted in to, in no particular order.
    function modelsOf(address node) external view returns (uint256[] memory);

    /// @notice Active plus unbonding stake of all nodes in all roles (for accounting checks).
    function totalStaked() external view returns (uint256);

    /// @notice The minimum stake of a role.
    function minStake(Role role) external view returns (uint256);

    /// @notice How long unbonding stake waits before it can be withdrawn.
    function unbondingPeriod() external view returns (uint64);
}
