// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IDisputeResolver} from "../interfaces/IDisputeResolver.sol";
import {Verdict} from "../types/Types.sol";

/// @title ScriptedResolver
/// @notice Test-only: a dispute resolver whose answers the test scripts. It holds no round and no
///         tokens and calls no one: `open` records what the hub passed and answers the next id and
///         the bond set with `setBond`; `resolve` answers the verdict set for the job with
///         `setVerdict` (Undecided until set) and the bounty set with `setBounty`. Only the hub
///         fixed at construction may open or resolve. Never deploy it outside tests.
contract ScriptedResolver is IDisputeResolver {
    /// @notice What the hub passed to one `open`.
    struct Opening {
        uint256 jobId;
        uint256 modelId;
        address executor;
        address challenger;
        bytes32 jobDigest;
    }

    /// @notice The only caller of `open` and `resolve`.
    address public immutable HUB;

    /// @notice The bond `open` asks of a challenger.
    uint96 public bond;
    /// @notice The bounty `resolve` grants a challenger.
    uint96 public bounty;
    /// @notice How many disputes were opened; ids run from 1 to this number.
    uint256 public openCount;
    /// @notice How many disputes were resolved.
    uint256 public resolveCount;
    /// @notice The verdict `resolve` answers for each job.
    mapping(uint256 jobId => Verdict) public verdictOf;
    /// @notice The latest dispute opened on each job (zero: none).
    mapping(uint256 jobId => uint256) public disputeOfJob;
    mapping(uint256 disputeId => Opening) private _openings;

    /// @notice Thrown when anyone but the hub opens or resolves a dispute.
    error NotHub(address caller);
    /// @notice Thrown by `resolve` while the resolver plays dead (`setStalled`).
    error Stalled(uint256 jobId);

    /// @notice Whether `resolve` reverts (a resolver that never answers).
    bool public stalled;

    /// @notice Emitted when the hub opens a dispute.
    event Opened(
        uint256 indexed disputeId,
        uint256 indexed jobId,
        uint256 modelId,
        address executor,
        address challenger,
        uint96 bond
    );
    /// @notice Emitted when the hub resolves a dispute.
    event Resolved(uint256 indexed disputeId, uint256 indexed jobId, Verdict verdict, uint96 bounty);

    modifier onlyHub() {
        if (msg.sender != HUB) revert NotHub(msg.sender);
        _;
    }

    /// @param hub The JobRegistry allowed to open and resolve disputes.
    constructor(address hub) {
        HUB = hub;
    }

    /// @notice Sets the bond the next `open`s ask for.
    function setBond(uint96 bond_) external {
        bond = bond_;
    }

    /// @notice Sets the bounty the next `resolve`s grant.
    function setBounty(uint96 bounty_) external {
        bounty = bounty_;
    }

    /// @notice Makes `resolve` revert (true) or answer again (false).
    function setStalled(bool stalled_) external {
        stalled = stalled_;
    }

    /// @notice Sets the verdict `resolve` answers for `jobId`.
    function setVerdict(uint256 jobId, Verdict verdict) external {
        verdictOf[jobId] = verdict;
    }

    /// @inheritdoc IDisputeResolver
    function open(
        uint256 jobId,
        uint256 modelId,
        address executor,
        address challenger,
        bytes32 jobDigest
    ) external onlyHub returns (uint256 disputeId, uint96 bond_) {
        disputeId = ++openCount;
        bond_ = challenger == address(0) ? 0 : bond;
        _openings[disputeId] = Opening({
            jobId: jobId,
            modelId: modelId,
            executor: executor,
            challenger: challenger,
            jobDigest: jobDigest
        });
        disputeOfJob[jobId] = disputeId;
        emit Opened(disputeId, jobId, modelId, executor, challenger, bond_);
    }

    /// @inheritdoc IDisputeResolver
    function resolve(uint256 jobId) external onlyHub returns (Verdict verdict, address challenger, uint96 bounty_) {
        if (stalled) revert Stalled(jobId);
        uint256 disputeId = disputeOfJob[jobId];
        ++resolveCount;
        verdict = verdictOf[jobId];
        challenger = _openings[disputeId].challenger;
        bounty_ = bounty;
        emit Resolved(disputeId, jobId, verdict, bounty_);
    }

    /// @notice What the hub passed to open dispute `disputeId`.
    function openingOf(uint256 disputeId) external view returns (Opening memory) {
        return _openings[disputeId];
    }

    /// @inheritdoc IDisputeResolver
    function disputeWindow() external pure returns (uint256) {
        return 0;
    }

    /// @inheritdoc IDisputeResolver
    function committeeSize() external pure returns (uint8) {
        return 1;
    }
}
