// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVrfConsumer, IVrfCoordinator} from "../interfaces/IVrfCoordinator.sol";

/// @notice Test-only: a stand-in for an external VRF service. It records each request and who made
///         it; the test fulfils a request with a word of its choice (`fulfil`). Two hostile modes
///         answer inside `requestRandomWord` instead, as a coordinator that fulfils synchronously
///         would: `FulfilNew` answers the request being made, `FulfilQueued` answers every earlier
///         unanswered request (a service that settles its queue whenever it is called). A broken
///         mode, `RepeatId`, returns the previous request's id again. The adapter's reverts are not
///         caught: they revert the request.
contract TestVrfCoordinator is IVrfCoordinator {
    /// @notice When the coordinator answers.
    enum Mode {
        Deferred,
        FulfilNew,
        FulfilQueued,
        RepeatId
    }

    /// @notice One recorded request.
    struct Request {
        address requester;
        bool fulfilled;
    }

    /// @notice When the coordinator answers; Deferred (only through `fulfil`) by default.
    Mode public mode;
    /// @notice Whether ids are 0, 1, 2, ... (as some services number them) instead of hashes.
    bool public sequentialIds;
    /// @notice How many requests were made.
    uint256 public requestCount;
    /// @notice Gas the last `fulfillRandomWord` callback used (what a callback gas limit must cover).
    uint256 public lastCallbackGas;
    /// @notice Request ids in the order they were made.
    uint256[] public requestIds;
    mapping(uint256 requestId => Request) private _requests;

    /// @notice Emitted when a request is recorded.
    event RandomWordRequested(uint256 indexed requestId, address indexed requester);
    /// @notice Emitted when a request is answered.
    event RandomWordFulfilled(uint256 indexed requestId, bytes32 value);

    /// @notice Thrown when `fulfil` names a request that was never made.
    error NoSuchRequest(uint256 requestId);

    /// @notice Sets when the coordinator answers.
    /// @param mode_ Deferred, FulfilNew, FulfilQueued or RepeatId.
    function setMode(Mode mode_) external {
        mode = mode_;
    }

    /// @notice Sets whether ids are 0, 1, 2, ... instead of hashes.
    /// @param sequential True for sequential ids.
    function setSequentialIds(bool sequential) external {
        sequentialIds = sequential;
    }

    /// @notice Records a request (in `RepeatId` mode, returns the previous id instead). Ids are
    ///         hashes of the request count unless `sequentialIds`, so they never look like the
    ///         adapter's targets (a mix-up of the two shows in the tests).
    /// @return requestId The new request's id.
    function requestRandomWord() external returns (uint256 requestId) {
        if (mode == Mode.RepeatId && requestIds.length > 0) return requestIds[requestIds.length - 1];
        uint256 count = ++requestCount;
        requestId = sequentialIds ? count - 1 : uint256(keccak256(abi.encode("TestVrfCoordinator", count)));
        _requests[requestId].requester = msg.sender;
        requestIds.push(requestId);
        emit RandomWordRequested(requestId, msg.sender);
        if (mode == Mode.FulfilNew) {
            _fulfil(requestId, _wordOf(requestId));
        } else if (mode == Mode.FulfilQueued) {
            for (uint256 i = 0; i + 1 < count; ++i) {
                uint256 earlier = requestIds[i];
                if (!_requests[earlier].fulfilled) _fulfil(earlier, _wordOf(earlier));
            }
        }
    }

    /// @notice Answers request `requestId` with `value` by calling back its requester.
    /// @param requestId A recorded request.
    /// @param value The word to deliver.
    function fulfil(uint256 requestId, bytes32 value) external {
        if (_requests[requestId].requester == address(0)) revert NoSuchRequest(requestId);
        _fulfil(requestId, value);
    }

    /// @dev Marks the request answered, calls back and measures the callback's gas.
    function _fulfil(uint256 requestId, bytes32 value) private {
        _requests[requestId].fulfilled = true;
        uint256 before = gasleft();
        IVrfConsumer(_requests[requestId].requester).fulfillRandomWord(requestId, value);
        lastCallbackGas = before - gasleft();
        emit RandomWordFulfilled(requestId, value);
    }

    /// @dev The word the hostile modes deliver.
    function _wordOf(uint256 requestId) private pure returns (bytes32) {
        return keccak256(abi.encode("word", requestId));
    }
}
