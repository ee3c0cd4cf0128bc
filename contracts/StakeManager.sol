// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Governed} from "./access/Governed.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {SnapshotSumTree} from "./libraries/SnapshotSumTree.sol";
import {Role} from "./types/Types.sol";

/// @title StakeManager
/// @notice Holds node stakes per role, locks collateral for live jobs, slashes on the protocol's
///         word, and draws seats by stake. Every draw pool (one per model for executors, who opt
///         in to the models they run; one for verifiers) is an epoch-tagged Fenwick tree
///         (SnapshotSumTree) read as the stakes stood when the epoch of the draw's trigger began,
///         so nothing staked, unstaked, slashed, jailed or opted in or out after the randomness is
///         known can change who is drawn; it decides only whether the drawn node may serve
///         (`lockSeat`).
contract StakeManager is IStakeManager, Governed, ReentrancyGuard {
    using SafeERC20 for IERC20;
    using SnapshotSumTree for SnapshotSumTree.Tree;

    /// @notice Largest minimum stake governance may set: 1e9 tokens of 18 decimals.
    uint256 public constant MAX_MIN_STAKE = 1e27;
    /// @notice The unbonding period is never shorter than this, whatever the windows are.
    uint64 public constant MIN_UNBONDING = 1 hours;
    /// @notice The unbonding period is never longer than this.
    uint64 public constant MAX_UNBONDING = 365 days;
    /// @notice Most seats one draw fills (committee or quorum size).
    uint256 public constant MAX_SEATS = 32;
    /// @notice Most addresses a draw may exclude.
    uint256 public constant MAX_EXCLUDED = 8;

    /// @notice Shortest and longest stake epoch.
    uint32 public constant MIN_EPOCH_LENGTH = 1 minutes;
    uint32 public constant MAX_EPOCH_LENGTH = 7 days;
    /// @notice How many draws a seat makes before it stays empty (each draw that lands on
    ///         an excluded node is retried with the next derived point).
    uint256 public constant MAX_SEAT_TRIES = 8;
    /// @notice Most models one executor may opt in to: every change of its stake rewrites its
    ///         weight in each of their pools, so this bounds the gas of a stake change or a slash.
    uint256 public constant MAX_MODELS_PER_EXECUTOR = 8;

    /// @notice The staked token.
    IERC20 public immutable TOKEN;
    /// @inheritdoc IStakeManager
    uint32 public immutable EPOCH_LENGTH;

    /// @notice The JobRegistry, wired once: it locks, unlocks and slashes executors' collateral.
    address public hub;
    /// @notice The dispute manager, the other contract that may slash (wired once with the hub).
    address public disputeManager;
    /// @inheritdoc IStakeManager
    uint64 public unbondingPeriod;
    /// @inheritdoc IStakeManager
    uint256 public totalStaked;
    // Both minimums in one slot: a weight refresh and `lockSeat` read it once.
    uint128[2] private _minStake;
    mapping(address node => mapping(Role role => StakeAccount)) private _accounts;
    // The verifiers' weights, answerable as they stood at the start of the current or the previous
    // epoch (slot Role.VERIFIER; Role.EXECUTOR's tree is unused: executors draw per model).
    mapping(Role role => SnapshotSumTree.Tree) private _seats;
    // Each model's pool of executors that opted in to it, read like the verifiers' tree.
    mapping(uint256 modelId => SnapshotSumTree.Tree) private _modelSeats;
    // The models each executor opted in to (at most MAX_MODELS_PER_EXECUTOR).
    mapping(address node => uint256[]) private _modelsOf;
    /// @dev The later of a node's two unbonding tranches (the earlier one is `unbonding - amount`
    ///      with the account's `releaseAt`): a second request never resets the first one's time.
    mapping(address node => mapping(Role role => Tranche)) private _later;

    modifier onlyProtocol() {
        // INVARIANT: only the wired protocol contracts lock, unlock and slash; the
        // wiring is set once by the deployer, so no governance action can add a caller.
        if (msg.sender != hub && msg.sender != disputeManager) revert UnauthorizedCaller(msg.sender);
        _;
    }

    /// @param token The protocol token.
    /// @param governance May change the minimum stakes and the unbonding period (a timelock).
    /// @param minExecutorStake Minimum stake of an executor.
    /// @param minVerifierStake Minimum stake of a verifier.
    /// @param unbonding_ The unbonding period.
    /// @param epochLength The stake epoch (MIN_EPOCH_LENGTH..MAX_EPOCH_LENGTH): a draw (a job's
    ///        executors, a committee) uses the stakes as they stood when its trigger's epoch began.
    constructor(
        IERC20 token,
        address governance,
        uint256 minExecutorStake,
        uint256 minVerifierStake,
        uint64 unbonding_,
        uint32 epochLength
    ) Governed(governance) {
        if (epochLength < MIN_EPOCH_LENGTH || epochLength > MAX_EPOCH_LENGTH) {
            revert ParameterOutOfBounds("epochLength", epochLength, MIN_EPOCH_LENGTH, MAX_EPOCH_LENGTH);
        }
        EPOCH_LENGTH = epochLength;
        TOKEN = token;
        _setMinStake(Role.EXECUTOR, minExecutorStake);
        _setMinStake(Role.VERIFIER, minVerifierStake);
        _setUnbondingPeriod(unbonding_, MIN_UNBONDING);
    }

    // ---------------------------------------------------------------- nodes

    /// @inheritdoc IStakeManager
    function stake(Role role, uint256 amount) external nonReentrant {
        _stake(role, amount);
    }

    /// @inheritdoc IStakeManager
    function stakeWithPermit(
        Role role,
        uint256 amount,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external nonReentrant {
        // A permit front-run by someone else still leaves the allowance in place: ignore its failure
        // and let the transfer decide (OpenZeppelin's advice for IERC20Permit).
        try IERC20Permit(address(TOKEN)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _stake(role, amount);
    }

    /// @inheritdoc IStakeManager
    function requestUnstake(Role role, uint256 amount) external nonReentrant {
        StakeAccount storage account = _accounts[msg.sender][role];
        uint256 free = account.active - account.locked;
        if (amount == 0) revert InvalidAmount(amount);
        if (amount > free) revert InsufficientFreeStake(amount, free);
        uint96 amount96 = uint96(amount); // amount <= free < 2^96
        // solhint-disable-next-line not-rely-on-time
        uint64 releaseAt = uint64(block.timestamp) + unbondingPeriod;
        account.active -= amount96;
        // INVARIANT: a request never delays stake that was already unbonding: the earlier tranche
        // keeps its release time and the new amount joins the later one.
        if (account.unbonding == 0) {
            account.releaseAt = releaseAt;
        } else {
            Tranche storage later = _later[msg.sender][role];
            later.amount += amount96;
            later.releaseAt = releaseAt;
        }
        account.unbonding += amount96;
        _refreshWeight(msg.sender, role, account);
        emit UnstakeRequested(msg.sender, role, amount, releaseAt);
    }

    /// @inheritdoc IStakeManager
    function withdraw(Role role) external nonReentrant {
        StakeAccount storage account = _accounts[msg.sender][role];
        uint96 total = account.unbonding;
        if (total == 0) revert NothingToWithdraw();
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp < account.releaseAt) revert StillUnbonding(account.releaseAt, uint64(block.timestamp));
        Tranche storage later = _later[msg.sender][role];
        uint96 amount = total;
        // solhint-disable-next-line not-rely-on-time
        if (later.amount != 0 && block.timestamp < later.releaseAt) {
            // Only the earlier tranche is released; the later one becomes the earlier.
            amount = total - later.amount;
            account.releaseAt = later.releaseAt;
        }
        account.unbonding = total - amount;
        delete _later[msg.sender][role];
        totalStaked -= amount;
        emit Withdrawn(msg.sender, role, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IStakeManager
    function optIn(uint256 modelId) external {
        uint256[] storage models = _modelsOf[msg.sender];
        uint256 count = models.length;
        // check-patterns: allow storage-loop a node's model list never exceeds MAX_MODELS_PER_EXECUTOR (8), checked below
        for (uint256 i = 0; i < count; ++i) if (models[i] == modelId) revert AlreadyOptedIn(msg.sender, modelId);
        // INVARIANT: a node's pools are bounded, so a stake change or a slash writes at most
        // MAX_MODELS_PER_EXECUTOR trees.
        if (count == MAX_MODELS_PER_EXECUTOR) revert TooManyModels(MAX_MODELS_PER_EXECUTOR);
        models.push(modelId);
        // The pool's snapshot of this epoch does not see the node: it is drawn from the next one.
        _modelSeats[modelId].set(
            msg.sender,
            _eligibleWeight(Role.EXECUTOR, _accounts[msg.sender][Role.EXECUTOR]),
            currentEpoch()
        );
        emit ModelOptedIn(msg.sender, modelId);
    }

    /// @inheritdoc IStakeManager
    function optOut(uint256 modelId) external {
        uint256[] storage models = _modelsOf[msg.sender];
        uint256 count = models.length;
        uint256 i = 0;
        // check-patterns: allow storage-loop a node's model list never exceeds MAX_MODELS_PER_EXECUTOR (8) (optIn)
        while (i < count && models[i] != modelId) ++i;
        if (i == count) revert NotOptedIn(msg.sender, modelId);
        models[i] = models[count - 1];
        models.pop();
        // Seats already drawn from this epoch's snapshot stay the node's to serve or forfeit.
        _modelSeats[modelId].set(msg.sender, 0, currentEpoch());
        emit ModelOptedOut(msg.sender, modelId);
    }

    /// @inheritdoc IStakeManager
    function poke(address node, Role role) external {
        StakeAccount storage account = _accounts[node][role];
        _refreshWeight(node, role, account);
        emit WeightRefreshed(node, role, _eligibleWeight(role, account));
    }

    // ---------------------------------------------------------------- protocol

    /// @inheritdoc IStakeManager
    function unlock(address node, Role role, uint256 amount) external onlyProtocol {
        StakeAccount storage account = _accounts[node][role];
        uint96 locked = account.locked;
        // INVARIANT: `locked` is the exact sum of live jobs' collateral; nothing releases it twice.
        if (amount > locked) revert LockUnderflow(locked, amount);
        account.locked = locked - uint96(amount);
        emit StakeUnlocked(node, role, amount);
    }

    /// @inheritdoc IStakeManager
    function slashLocked(
        address node,
        Role role,
        uint256 amount,
        address recipient
    ) external onlyProtocol nonReentrant returns (uint256 slashed) {
        StakeAccount storage account = _accounts[node][role];
        uint96 locked = account.locked;
        // INVARIANT: only collateral a job locked is taken, and the lock shrinks with it, so the
        // collateral of the node's other live jobs stays locked (locked <= active always holds).
        if (amount > locked) revert LockUnderflow(locked, amount);
        uint96 amount96 = uint96(amount); // amount <= locked < 2^96
        account.locked = locked - amount96;
        account.active -= amount96;
        slashed = amount;
        _afterSlash(node, role, account, slashed, 0, recipient);
    }

    /// @inheritdoc IStakeManager
    function slash(
        address node,
        Role role,
        uint256 amount,
        address recipient
    ) external onlyProtocol nonReentrant returns (uint256 slashed) {
        StakeAccount storage account = _accounts[node][role];
        // INVARIANT: a plain slash never reaches locked collateral (that is slashLocked's), so
        // locked <= active holds and no live job's collateral disappears.
        uint96 free = account.active - account.locked;
        uint96 fromActive = amount > free ? free : uint96(amount);
        uint256 rest = amount - fromActive;
        uint96 fromUnbonding = rest > account.unbonding ? account.unbonding : uint96(rest);
        account.active -= fromActive;
        account.unbonding -= fromUnbonding;
        // A slash reaches the later tranche first (the earlier one keeps what is left).
        Tranche storage later = _later[node][role];
        if (fromUnbonding != 0 && later.amount != 0)
            later.amount -= fromUnbonding < later.amount ? fromUnbonding : later.amount;
        slashed = uint256(fromActive) + fromUnbonding;
        _afterSlash(node, role, account, slashed, fromUnbonding, recipient);
    }

    /// @inheritdoc IStakeManager
    function unjail(Role role) external {
        StakeAccount storage account = _accounts[msg.sender][role];
        uint256 minimum = _minStake[uint8(role)];
        // INVARIANT: a jailed node serves again only after its term and with the minimum restored;
        // topping up alone never lifts a jail.
        // solhint-disable-next-line not-rely-on-time
        if (!account.jailed || block.timestamp < account.jailedUntil || account.active < minimum) {
            revert StillJailed(account.jailedUntil, account.active, minimum);
        }
        account.jailed = false;
        _refreshWeight(msg.sender, role, account);
        emit NodeUnjailed(msg.sender, role);
    }

    /// @inheritdoc IStakeManager
    function lockSeat(address node, Role role, uint256 collateral) external onlyProtocol returns (bool locked) {
        // INVARIANT: a seat is served only by a node that is eligible now and has the collateral
        // free; whoever holds it otherwise is absent (the caller penalises), never replaced here.
        if (!_canServe(node, role, collateral)) return false;
        _accounts[node][role].locked += uint96(collateral); // collateral <= free stake < 2^96
        emit StakeLocked(node, role, collateral);
        return true;
    }

    // ---------------------------------------------------------------- governance

    /// @notice Sets the minimum stake of `role`, at most `MAX_MIN_STAKE`. Nodes keep their weight
    ///         until they are poked or change their stake; `lockSeat` checks the new minimum.
    function setMinStake(Role role, uint256 amount) external onlyGovernance {
        _setMinStake(role, amount);
    }

    /// @notice Lengthens the unbonding period, up to `MAX_UNBONDING`. It never shortens: the
    ///         JobRegistry and the DisputeManager each fit their windows in half of it when their
    ///         parameters are set, so a shorter period could let a staker unbond before a slash it
    ///         is exposed to; neither is asked again (this contract calls nobody).
    function setUnbondingPeriod(uint64 period) external onlyGovernance {
        // INVARIANT: the unbonding period never decreases, so windows checked against it stay safe.
        _setUnbondingPeriod(period, unbondingPeriod);
    }

    /// @inheritdoc IStakeManager
    function wire(address hub_, address disputes) external onlyDeployer {
        if (hub != address(0)) revert AlreadyWired();
        if (hub_ == address(0)) revert ZeroAddress("hub");
        if (disputes == address(0)) revert ZeroAddress("disputes");
        hub = hub_;
        disputeManager = disputes;
        emit Wired(hub_, disputes);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IStakeManager
    function laterTrancheOf(address node, Role role) external view returns (Tranche memory) {
        return _later[node][role];
    }

    /// @inheritdoc IStakeManager
    function accountOf(address node, Role role) external view returns (StakeAccount memory) {
        return _accounts[node][role];
    }

    /// @inheritdoc IStakeManager
    function isEligible(address node, Role role) public view returns (bool) {
        StakeAccount storage account = _accounts[node][role];
        return !account.jailed && account.active != 0 && account.active >= _minStake[uint8(role)];
    }

    /// @inheritdoc IStakeManager
    function weightOf(address node, Role role, uint256 modelId) external view returns (uint256) {
        return _pool(role, modelId).weightOf(node);
    }

    /// @inheritdoc IStakeManager
    function totalWeight(Role role, uint256 modelId) external view returns (uint256) {
        return _pool(role, modelId).total();
    }

    /// @inheritdoc IStakeManager
    function modelsOf(address node) external view returns (uint256[] memory) {
        return _modelsOf[node];
    }

    /// @inheritdoc IStakeManager
    function currentEpoch() public view returns (uint32) {
        // solhint-disable-next-line not-rely-on-time
        return uint32(block.timestamp / EPOCH_LENGTH);
    }

    /// @inheritdoc IStakeManager
    function drawSeats(
        Role role,
        uint256 modelId,
        uint32 epoch,
        bytes32 randomness,
        uint256 seats,
        address[] calldata exclude
    ) external view returns (bool ok, address[] memory holders) {
        if (seats > MAX_SEATS) revert TooManySeats(seats, MAX_SEATS);
        if (exclude.length > MAX_EXCLUDED) revert TooManyExcluded(exclude.length, MAX_EXCLUDED);
        // INVARIANT: a snapshot is read only until its epoch's successor ends, by the clock: after
        // that, whether it still answers would depend on later writes (which anyone can make).
        uint32 current = currentEpoch();
        if (epoch > current || current > epoch + 1) return (false, holders);
        uint256 total;
        SnapshotSumTree.Tree storage tree = _pool(role, modelId);
        (ok, total) = tree.totalAt(epoch);
        if (!ok) return (false, holders);
        holders = new address[](seats);
        if (total == 0) seats = 0;
        uint256 filled;
        for (uint256 seat = 0; seat < seats; ++seat) {
            for (uint256 t = 0; t < MAX_SEAT_TRIES; ++t) {
                uint256 point = uint256(keccak256(abi.encode(randomness, seat, t))) % total;
                address node;
                (ok, node) = tree.drawAt(epoch, point);
                if (!ok) return (false, new address[](0));
                if (!_listed(exclude, node)) {
                    holders[filled++] = node;
                    break;
                }
            }
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Shrinks the array to the seats filled; filled <= seats, so this only ever shortens it.
            mstore(holders, filled)
        }
        return (true, holders);
    }

    /// @inheritdoc IStakeManager
    function minStake(Role role) external view returns (uint256) {
        return _minStake[uint8(role)];
    }

    // ---------------------------------------------------------------- internal

    function _stake(Role role, uint256 amount) private {
        if (amount == 0 || amount > type(uint96).max) revert InvalidAmount(amount);
        StakeAccount storage account = _accounts[msg.sender][role];
        // Checked: the sum must still fit 96 bits, or the addition reverts.
        account.active += uint96(amount);
        totalStaked += amount;
        _refreshWeight(msg.sender, role, account);
        emit Staked(msg.sender, role, amount, account.active);
        // Effects are done; the pull comes last and the whole call is nonReentrant.
        TOKEN.safeTransferFrom(msg.sender, address(this), amount);
    }

    function _afterSlash(
        address node,
        Role role,
        StakeAccount storage account,
        uint256 slashed,
        uint256 fromUnbonding,
        address recipient
    ) private {
        totalStaked -= slashed;
        if (!account.jailed && account.active < _minStake[uint8(role)]) {
            account.jailed = true;
            // solhint-disable-next-line not-rely-on-time
            account.jailedUntil = uint64(block.timestamp) + unbondingPeriod;
            emit NodeJailed(node, role);
        }
        _refreshWeight(node, role, account);
        emit NodeSlashed(node, role, slashed, fromUnbonding, recipient);
        if (slashed != 0) TOKEN.safeTransfer(recipient, slashed);
    }

    /// @dev Writes the node's weight in every pool it is in: the verifiers' tree, or each model
    ///      the executor opted in to (at most MAX_MODELS_PER_EXECUTOR).
    function _refreshWeight(address node, Role role, StakeAccount storage account) private {
        uint96 weight = _eligibleWeight(role, account);
        uint32 epoch = currentEpoch();
        if (role == Role.VERIFIER) {
            _seats[role].set(node, weight, epoch);
            return;
        }
        uint256[] storage models = _modelsOf[node];
        uint256 count = models.length;
        // check-patterns: allow storage-loop a node's model list never exceeds MAX_MODELS_PER_EXECUTOR (8) (optIn)
        for (uint256 i = 0; i < count; ++i) _modelSeats[models[i]].set(node, weight, epoch);
    }

    function _eligibleWeight(Role role, StakeAccount storage account) private view returns (uint96) {
        bool eligible = !account.jailed && account.active >= _minStake[uint8(role)];
        return eligible ? account.active : uint96(0);
    }

    /// @dev The draw pool of `role`: the verifiers' tree, or the executors of `modelId`.
    function _pool(Role role, uint256 modelId) private view returns (SnapshotSumTree.Tree storage) {
        return role == Role.VERIFIER ? _seats[role] : _modelSeats[modelId];
    }

    function _listed(address[] calldata list, address node) private pure returns (bool) {
        for (uint256 i = 0; i < list.length; ++i) if (list[i] == node) return true;
        return false;
    }

    function _canServe(address node, Role role, uint256 collateral) private view returns (bool) {
        StakeAccount storage account = _accounts[node][role];
        return
            !account.jailed &&
            account.active >= _minStake[uint8(role)] &&
            account.active - account.locked >= collateral;
    }

    function _setMinStake(Role role, uint256 amount) private {
        if (amount == 0 || amount > MAX_MIN_STAKE) revert ParameterOutOfBounds("minStake", amount, 1, MAX_MIN_STAKE);
        _minStake[uint8(role)] = uint128(amount); // amount <= MAX_MIN_STAKE < 2^128
        emit MinStakeSet(role, amount);
    }

    function _setUnbondingPeriod(uint64 period, uint256 lower) private {
        if (period < lower || period > MAX_UNBONDING)
            revert ParameterOutOfBounds("unbondingPeriod", period, lower, MAX_UNBONDING);
        unbondingPeriod = period;
        emit UnbondingPeriodSet(period);
    }
}
