// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IRandomnessSource, RandomnessStatus} from "../interfaces/IRandomnessSource.sol";
import {IVrfConsumer, IVrfCoordinator} from "../interfaces/IVrfCoordinator.sol";
import {IVrfRandomnessAdapter} from "../interfaces/IVrfRandomnessAdapter.sol";

/// @title VrfRandomnessAdapter
/// @notice `IRandomnessSource` on top of a VRF service: `request` asks the coordinator for one word
///         and returns a target id; the coordinator's `fulfillRandomWord`, in a later block, stores
///         the target's value; a target not fulfilled within `FULFILMENT_TIMEOUT` blocks is Lost.
/// @dev Who can bias it: no party on chain (the word is the VRF's, verified by the service or its
///      shim). The VRF operator can withhold a fulfilment; the target is then Lost and the draw
///      re-arms (executor and committee draws) or counts as picked (audit coins). docs/RANDOMNESS.md
///      says what that leaves and how to deploy the shim.
contract VrfRandomnessAdapter is IVrfRandomnessAdapter {
    /// @notice Smallest fulfilment timeout, in blocks.
    uint64 public constant MIN_FULFILMENT_TIMEOUT = 1;
    /// @notice Largest fulfilment timeout, in blocks (about 14 days at 12 s, 2.3 days at 2 s).
    uint64 public constant MAX_FULFILMENT_TIMEOUT = 100_000;
    /// @notice Most consumers `wire` accepts (a deployment has two: the hub and the dispute manager).
    uint256 public constant MAX_CONSUMERS = 4;

    /// @inheritdoc IVrfRandomnessAdapter
    IVrfCoordinator public immutable COORDINATOR;
    /// @inheritdoc IVrfRandomnessAdapter
    uint64 public immutable FULFILMENT_TIMEOUT;
    /// @inheritdoc IVrfRandomnessAdapter
    address public immutable DEPLOYER;

    /// @inheritdoc IVrfRandomnessAdapter
    uint64 public nextTarget = 1;
    /// @dev Set by the one `wire` call.
    bool private _wired;
    /// @inheritdoc IVrfRandomnessAdapter
    mapping(address account => bool) public isConsumer;

    /// @dev One request, keyed by the coordinator's id, in one slot: the target (64 bits; zero means
    ///      an id the adapter never received, as targets start at 1) and the request's block (64 bits).
    struct Request {
        uint64 target;
        uint64 requestedAt;
    }

    mapping(uint256 requestId => Request) private _requests;
    /// @dev The coordinator's id of each target; trusted only where `_requests[id].target` points
    ///      back (a coordinator may use id 0, which is also what an unrequested target reads).
    mapping(uint64 target => uint256 requestId) private _requestIds;
    /// @dev Fulfilled values, domain-separated; zero means not fulfilled (a keccak256 output of zero
    ///      is not a practical concern).
    mapping(uint64 target => bytes32 value) private _values;

    /// @param coordinator The VRF service or its shim; the only caller of `fulfillRandomWord`.
    /// @param fulfilmentTimeout Blocks after a request's block during which it may be fulfilled, in
    ///        [MIN_FULFILMENT_TIMEOUT, MAX_FULFILMENT_TIMEOUT]; set it well above the service's own
    ///        confirmation delay, or every target ends Lost.
    constructor(IVrfCoordinator coordinator, uint64 fulfilmentTimeout) {
        if (address(coordinator) == address(0)) revert ZeroAddress("coordinator");
        if (fulfilmentTimeout < MIN_FULFILMENT_TIMEOUT || fulfilmentTimeout > MAX_FULFILMENT_TIMEOUT) {
            revert ParameterOutOfBounds(
                "fulfilmentTimeout",
                fulfilmentTimeout,
                MIN_FULFILMENT_TIMEOUT,
                MAX_FULFILMENT_TIMEOUT
            );
        }
        COORDINATOR = coordinator;
        FULFILMENT_TIMEOUT = fulfilmentTimeout;
        DEPLOYER = msg.sender;
    }

    /// @inheritdoc IVrfRandomnessAdapter
    function wire(address[] calldata consumers) external {
        // INVARIANT: the set of accounts that may spend the subscription is fixed once, by the deployer.
        if (msg.sender != DEPLOYER) revert UnauthorizedCaller(msg.sender);
        if (_wired) revert AlreadyWired();
        uint256 count = consumers.length;
        if (count == 0 || count > MAX_CONSUMERS) revert ParameterOutOfBounds("consumers", count, 1, MAX_CONSUMERS);
        _wired = true;
        for (uint256 i = 0; i < count; ++i) {
            address consumer = consumers[i];
            if (consumer == address(0)) revert ZeroAddress("consumer");
            isConsumer[consumer] = true;
            emit ConsumerWired(consumer);
        }
    }

    /// @inheritdoc IRandomnessSource
    /// @dev Consumers only (`UnauthorizedCaller` otherwise): each request costs the subscription.
    ///      The target's value is Pending for the rest of this block (see `fulfillRandomWord`).
    function request() external returns (uint64 target) {
        if (!isConsumer[msg.sender]) revert UnauthorizedCaller(msg.sender);
        target = nextTarget++;
        uint256 requestId = COORDINATOR.requestRandomWord();
        // The id is mapped only now, so a coordinator that answered this request inside
        // `requestRandomWord` met `UnknownRequest`; one that reuses an id would make two targets
        // share one fulfilment.
        uint64 taken = _requests[requestId].target;
        if (taken != 0) revert DuplicateRequestId(requestId, taken);
        _requests[requestId] = Request({target: target, requestedAt: uint64(block.number)});
        _requestIds[target] = requestId;
        emit RandomnessRequested(target, requestId, msg.sender);
    }

    /// @inheritdoc IVrfConsumer
    /// @dev Stores `keccak256(abi.encode(value, target, block.chainid, address(this)))`, so two
    ///      targets, two adapters or two chains never share a value even if the service repeated a
    ///      word. Reverts with `UnauthorizedCaller` (not the coordinator), `UnknownRequest`,
    ///      `AlreadyFulfilled`, `FulfilmentInRequestBlock` and `FulfilmentTooLate` (target Lost).
    function fulfillRandomWord(uint256 requestId, bytes32 value) external {
        if (msg.sender != address(COORDINATOR)) revert UnauthorizedCaller(msg.sender);
        Request memory r = _requests[requestId];
        uint64 target = r.target;
        if (target == 0) revert UnknownRequest(requestId);
        if (_values[target] != 0) revert AlreadyFulfilled(requestId, target);
        // INVARIANT: a target is Pending for the whole block of its request, so the transaction
        // that called `request` (or any later request in it, whose coordinator call could
        // fulfil this one synchronously) can never read the value and revert when unlucky.
        if (block.number <= r.requestedAt) revert FulfilmentInRequestBlock(target, block.number);
        uint256 deadline = uint256(r.requestedAt) + FULFILMENT_TIMEOUT;
        // INVARIANT: Lost is final: a target that `randomnessOf` reported Lost never becomes Ready.
        if (block.number > deadline) revert FulfilmentTooLate(target, deadline);
        bytes32 stored = keccak256(abi.encode(value, target, block.chainid, address(this)));
        _values[target] = stored;
        emit RandomnessRecorded(target, stored);
    }

    /// @inheritdoc IRandomnessSource
    /// @dev Targets are not block numbers here: this returns `nextTarget` whatever `blockNumber`
    ///      is (the target the next `request` gets, in any block). For off-chain planning only.
    function targetOf(uint256) external view returns (uint64) {
        return nextTarget;
    }

    /// @inheritdoc IRandomnessSource
    /// @dev 1: a value never exists in the block of its request. The actual wait is the service's
    ///      (its confirmations and its operator), at most `FULFILMENT_TIMEOUT` blocks.
    function delay() external pure returns (uint64) {
        return 1;
    }

    /// @inheritdoc IRandomnessSource
    /// @dev Ready once fulfilled; Lost once `FULFILMENT_TIMEOUT` blocks after the request's block
    ///      have passed unfulfilled; Pending otherwise (a target not requested yet included).
    function randomnessOf(uint64 target) external view returns (RandomnessStatus status, bytes32 value) {
        return _randomnessOf(target);
    }

    /// @inheritdoc IRandomnessSource
    /// @dev Values are stored when they arrive, so this only returns them: no state change, no event.
    function record(uint64 target) external view returns (bytes32 value) {
        RandomnessStatus status;
        (status, value) = _randomnessOf(target);
        if (status == RandomnessStatus.Pending) revert RandomnessPending(target, block.number);
        if (status == RandomnessStatus.Lost) revert RandomnessLost(target);
    }

    /// @inheritdoc IVrfRandomnessAdapter
    function requestOf(uint64 target) external view returns (uint256 requestId, uint64 requestedAt) {
        requestId = _requestIds[target];
        Request memory r = _requests[requestId];
        if (target == 0 || r.target != target) return (0, 0);
        return (requestId, r.requestedAt);
    }

    /// @inheritdoc IVrfRandomnessAdapter
    function targetOfRequest(uint256 requestId) external view returns (uint64) {
        return _requests[requestId].target;
    }

    /// @dev The status and value of `target` (see `randomnessOf`).
    function _randomnessOf(uint64 target) internal view returns (RandomnessStatus, bytes32) {
        bytes32 value = _values[target];
        if (value != 0) return (RandomnessStatus.Ready, value);
        Request memory r = _requests[_requestIds[target]];
        uint64 requestedAt = r.target == target ? r.requestedAt : 0;
        if (requestedAt == 0 || block.number <= uint256(requestedAt) + FULFILMENT_TIMEOUT) {
            return (RandomnessStatus.Pending, 0);
        }
        return (RandomnessStatus.Lost, 0);
    }
}
