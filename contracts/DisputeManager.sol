// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Governed} from "./access/Governed.sol";
import {IDisputeManager} from "./interfaces/IDisputeManager.sol";
import {IDisputeResolver} from "./interfaces/IDisputeResolver.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {CommitReveal} from "./libraries/CommitReveal.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";
import {Role, Verdict} from "./types/Types.sol";

/// @title DisputeManager
/// @notice The default dispute resolver: challenges and audits of OPTIMISTIC results, judged by
///         verifier committees drawn by stake that vote by commit-reveal (the shared CommitReveal
///         round). The JobRegistry opens and resolves disputes and acts on the verdict; this contract
///         never calls it. It slashes and pays the committee's side (voters, the bond) itself.
/// @dev Committees are drawn with keccak256(prevrandao, blockhash(n-1), jobId): the challenger
///      cannot pick the seed but can choose the block it challenges in, and that block's proposer
///      can withhold it; a committee is therefore as random as one block's proposer allows, and a
///      colluding majority of a committee can decide one dispute (the slashes of the losing side
///      and the audit rate make that costly, see docs/THREATS.md).
contract DisputeManager is IDisputeManager, Governed, ReentrancyGuardTransient {
    using CommitReveal for CommitReveal.Round;

    /// @notice Largest committee (an odd size avoids ties when everyone reveals).
    uint8 public constant MAX_COMMITTEE = 15;
    /// @notice Shortest and longest commit or reveal window.
    uint32 public constant MIN_WINDOW = 1 minutes;
    uint32 public constant MAX_WINDOW = 7 days;
    /// @notice Largest amount parameter: 1e9 tokens of 18 decimals.
    uint96 public constant MAX_AMOUNT = 1e27;

    /// @notice Where committees are drawn from, and who slashes.
    IStakeManager public immutable STAKES;
    /// @notice Where bonds, pots and rewards are held.
    IPaymentVault public immutable VAULT;

    /// @notice The JobRegistry, wired in once: the only caller of `open` and `resolve`.
    address public hub;
    Params private _params;
    uint256 private _disputeCount;

    /// @dev One dispute: its round (one slot), its tally and its parties.
    struct Record {
        CommitReveal.Round round;
        uint8 validVotes;
        uint8 invalidVotes;
        address challenger; // zero for an audit
        uint96 bond;
        uint256 jobId;
        address executor;
        uint96 modelId;
    }

    mapping(uint256 disputeId => Record) private _disputes;
    mapping(uint256 disputeId => address[]) private _committees;
    mapping(uint256 disputeId => mapping(address voter => CommitReveal.Ballot)) private _ballots;
    mapping(uint256 jobId => uint256 disputeId) private _latest;

    modifier onlyHub() {
        if (msg.sender != hub) revert UnauthorizedCaller(msg.sender);
        _;
    }

    /// @param stakes The StakeManager (wired to this contract once, at deployment).
    /// @param vault The PaymentVault (wired to this contract once, at deployment).
    /// @param governance May change the parameters (a timelock on real networks).
    /// @param params_ The initial parameters.
    constructor(
        IStakeManager stakes,
        IPaymentVault vault,
        address governance,
        Params memory params_
    ) Governed(governance) {
        STAKES = stakes;
        VAULT = vault;
        _setParams(params_);
    }

    /// @notice Wires in the JobRegistry, once. Deployer only.
    function setHub(address hub_) external onlyDeployer {
        if (hub != address(0)) revert AlreadyWired();
        if (hub_ == address(0)) revert ZeroAddress("hub");
        hub = hub_;
        emit HubSet(hub_);
    }

    /// @notice Sets the parameters; see `Params` for each bound. A dispute's windows may use at
    ///         most half the unbonding period (the hub's windows get the other half), so a voter
    ///         cannot unbond before the dispute that may slash it ends.
    function setParams(Params calldata params_) external onlyGovernance {
        _setParams(params_);
    }

    /// @inheritdoc IDisputeResolver
    function open(
        uint256 jobId,
        uint256 modelId,
        address executor,
        address challenger
    ) external onlyHub returns (uint256 disputeId, uint96 bond) {
        if (challenger != address(0)) {
            if (challenger == executor || !STAKES.isEligible(challenger, Role.VERIFIER)) {
                revert NotStakedVerifier(challenger);
            }
            bond = _params.challengeBond;
        }
        disputeId = _open(jobId, modelId, executor, challenger, bond);
    }

    /// @inheritdoc IDisputeManager
    function commitVote(uint256 disputeId, bytes32 commitment) external {
        Record storage dispute = _existing(disputeId);
        dispute.round.commit(_seat(disputeId), disputeId, commitment);
        emit VoteCommitted(disputeId, msg.sender);
    }

    /// @inheritdoc IDisputeManager
    function revealVote(uint256 disputeId, Verdict verdict, bytes32 salt) external {
        Record storage dispute = _existing(disputeId);
        CommitReveal.Ballot storage ballot = _seat(disputeId);
        if (verdict == Verdict.Undecided) revert InvalidVerdict();
        bytes32 expected = commitmentOf(msg.sender, disputeId, verdict, salt);
        dispute.round.reveal(ballot, disputeId, bytes32(uint256(verdict)), expected);
        if (verdict == Verdict.Valid) dispute.validVotes += ballot.weight;
        else dispute.invalidVotes += ballot.weight;
        emit VoteRevealed(disputeId, msg.sender, verdict);
    }

    /// @inheritdoc IDisputeResolver
    function resolve(
        uint256 jobId
    ) external onlyHub nonReentrant returns (Verdict verdict, address challenger, uint96 bounty) {
        uint256 disputeId = _latest[jobId];
        Record storage dispute = _disputes[disputeId];
        if (disputeId == 0 || dispute.round.closed) revert NoOpenDispute(jobId);
        dispute.round.close(disputeId);
        if (dispute.validVotes > dispute.invalidVotes) verdict = Verdict.Valid;
        else if (dispute.invalidVotes > dispute.validVotes) verdict = Verdict.Invalid;
        uint256 pot = _settle(disputeId, dispute, verdict);
        emit DisputeResolved(disputeId, jobId, verdict, dispute.validVotes, dispute.invalidVotes, pot);
        return (verdict, dispute.challenger, _params.bounty);
    }

    /// @inheritdoc IDisputeManager
    function commitmentOf(
        address voter,
        uint256 disputeId,
        Verdict verdict,
        bytes32 salt
    ) public view returns (bytes32) {
        return
            keccak256(
                abi.encode(voter, _disputes[disputeId].jobId, disputeId, verdict, salt, block.chainid, address(this))
            );
    }

    /// @inheritdoc IDisputeManager
    function disputeOf(uint256 disputeId) external view returns (Dispute memory) {
        Record storage d = _existing(disputeId);
        CommitReveal.Round storage round = d.round;
        return
            Dispute({
                commitEnd: round.commitEnd,
                revealEnd: round.revealEndOf(),
                seats: round.seats,
                commits: round.commits,
                validVotes: d.validVotes,
                invalidVotes: d.invalidVotes,
                resolved: round.closed,
                challenger: d.challenger,
                bond: d.bond,
                jobId: d.jobId,
                executor: d.executor
            });
    }

    /// @inheritdoc IDisputeManager
    function committeeOf(uint256 disputeId) external view returns (address[] memory) {
        return _committees[disputeId];
    }

    /// @inheritdoc IDisputeManager
    function ballotOf(uint256 disputeId, address voter) external view returns (bytes32, Verdict) {
        CommitReveal.Ballot storage ballot = _ballots[disputeId][voter];
        return (ballot.commitment, Verdict(uint8(uint256(ballot.revealed))));
    }

    /// @inheritdoc IDisputeResolver
    function committeeSize() external view returns (uint8) {
        return _params.committeeSize;
    }

    /// @inheritdoc IDisputeResolver
    function disputeWindow() external view returns (uint256) {
        return uint256(_params.commitWindow) + _params.revealWindow;
    }

    /// @inheritdoc IDisputeManager
    function disputeOfJob(uint256 jobId) external view returns (uint256) {
        return _latest[jobId];
    }

    /// @inheritdoc IDisputeManager
    function params() external view returns (Params memory) {
        return _params;
    }

    // ---------------------------------------------------------------- internal

    function _open(
        uint256 jobId,
        uint256 modelId,
        address executor,
        address challenger,
        uint96 bond
    ) private returns (uint256 disputeId) {
        address[] memory exclude = new address[](challenger == address(0) ? 1 : 2);
        exclude[0] = executor;
        if (challenger != address(0)) exclude[1] = challenger;
        bytes32 seed = keccak256(
            abi.encode(block.prevrandao, blockhash(block.number - 1), jobId, "committee", address(this), block.chainid)
        );
        address[] memory committee = STAKES.draw(Role.VERIFIER, seed, _params.committeeSize, exclude);
        disputeId = ++_disputeCount;
        // solhint-disable-next-line not-rely-on-time
        uint32 commitEnd = uint32(block.timestamp) + _params.commitWindow;
        uint32 revealEnd = commitEnd + _params.revealWindow;
        Record storage dispute = _disputes[disputeId];
        dispute.round.open(commitEnd, revealEnd, _params.revealWindow, uint8(committee.length));
        dispute.challenger = challenger;
        dispute.bond = bond;
        dispute.jobId = jobId;
        dispute.executor = executor;
        dispute.modelId = uint96(modelId);
        _latest[jobId] = disputeId;
        _committees[disputeId] = committee;
        for (uint256 i = 0; i < committee.length; ++i) _ballots[disputeId][committee[i]].weight = 1;
        emit DisputeOpened(disputeId, jobId, challenger, committee, commitEnd, revealEnd);
    }

    /// @dev Slashes the losing side and pays the winners; returns the pot (slashes and forfeited bond).
    function _settle(uint256 disputeId, Record storage dispute, Verdict verdict) private returns (uint256 pot) {
        uint256 revealed = uint256(dispute.validVotes) + dispute.invalidVotes;
        pot = _slashAll(_collect(disputeId, Verdict.Undecided, dispute.round.seats - revealed, true));
        if (verdict == Verdict.Undecided) {
            // A tie or an empty committee proves nothing: the bond goes back, the pot to the
            // treasury; the members who revealed did their work and are paid for it all the same.
            if (dispute.challenger != address(0)) VAULT.credit(dispute.challenger, dispute.jobId, dispute.bond);
            VAULT.distribute(dispute.jobId, pot, 0, new address[](0));
            _reward(dispute, _collect(disputeId, Verdict.Undecided, revealed, false));
            return pot;
        }
        uint256 winning = verdict == Verdict.Valid ? dispute.validVotes : dispute.invalidVotes;
        Verdict losing = verdict == Verdict.Valid ? Verdict.Invalid : Verdict.Valid;
        pot += _slashAll(_collect(disputeId, losing, revealed - winning, true));
        address[] memory winners = _collect(disputeId, verdict, winning, true);
        // The losing voters' stake (and a forfeited bond) goes to the winning side. The executor's
        // collateral is not in this pot: the hub takes it and routes it (treasury, fixed bounty).
        address ally;
        if (verdict == Verdict.Invalid) {
            if (dispute.challenger != address(0)) VAULT.credit(dispute.challenger, dispute.jobId, dispute.bond);
        } else {
            pot += dispute.bond;
            ally = dispute.executor;
        }
        VAULT.distribute(dispute.jobId, pot, _params.winnerShareBps, _append(winners, ally));
        _reward(dispute, winners);
    }

    /// @dev Pays `voters` the audit reward from the audit pot of the job's model.
    function _reward(Record storage dispute, address[] memory voters) private {
        VAULT.rewardVoters(dispute.jobId, dispute.modelId, _params.auditReward, voters);
    }

    function _slashAll(address[] memory voters) private returns (uint256 pot) {
        uint96 amount = _params.voterSlash;
        for (uint256 i = 0; i < voters.length; ++i)
            pot += STAKES.slash(voters[i], Role.VERIFIER, amount, address(VAULT));
    }

    /// @dev The `count` members whose revealed vote is (`equal`) or is not (`!equal`) `vote`; loops
    ///      over at most MAX_COMMITTEE seats.
    function _collect(
        uint256 disputeId,
        Verdict vote,
        uint256 count,
        bool equal
    ) private view returns (address[] memory members) {
        members = new address[](count);
        address[] storage committee = _committees[disputeId];
        uint256 found;
        for (uint256 i = 0; i < committee.length && found < count; ++i) {
            if ((Verdict(uint8(uint256(_ballots[disputeId][committee[i]].revealed))) == vote) == equal)
                members[found++] = committee[i];
        }
    }

    function _append(address[] memory list, address extra) private pure returns (address[] memory out) {
        if (extra == address(0)) return list;
        out = new address[](list.length + 1);
        for (uint256 i = 0; i < list.length; ++i) out[i] = list[i];
        out[list.length] = extra;
    }

    function _existing(uint256 disputeId) private view returns (Record storage dispute) {
        dispute = _disputes[disputeId];
        if (dispute.jobId == 0) revert UnknownDispute(disputeId);
    }

    function _seat(uint256 disputeId) private view returns (CommitReveal.Ballot storage ballot) {
        ballot = _ballots[disputeId][msg.sender];
        if (ballot.weight == 0) revert NotOnCommittee(disputeId, msg.sender);
    }

    function _setParams(Params memory p) private {
        if (p.committeeSize == 0 || p.committeeSize > MAX_COMMITTEE) {
            revert ParameterOutOfBounds("committeeSize", p.committeeSize, 1, MAX_COMMITTEE);
        }
        if (p.commitWindow < MIN_WINDOW || p.commitWindow > MAX_WINDOW) {
            revert ParameterOutOfBounds("commitWindow", p.commitWindow, MIN_WINDOW, MAX_WINDOW);
        }
        if (p.revealWindow < MIN_WINDOW || p.revealWindow > MAX_WINDOW) {
            revert ParameterOutOfBounds("revealWindow", p.revealWindow, MIN_WINDOW, MAX_WINDOW);
        }
        if (p.winnerShareBps > FeeSplit.BPS)
            revert ParameterOutOfBounds("winnerShareBps", p.winnerShareBps, 0, FeeSplit.BPS);
        if (p.challengeBond == 0 || p.challengeBond > MAX_AMOUNT) {
            revert ParameterOutOfBounds("challengeBond", p.challengeBond, 1, MAX_AMOUNT);
        }
        if (p.voterSlash > MAX_AMOUNT) revert ParameterOutOfBounds("voterSlash", p.voterSlash, 0, MAX_AMOUNT);
        if (p.auditReward > MAX_AMOUNT) revert ParameterOutOfBounds("auditReward", p.auditReward, 0, MAX_AMOUNT);
        // INVARIANT: a challenger proved right gets at most its own bond out of the executor's
        // collateral, so a cheater front-running its own challenger wins back at most that.
        if (p.bounty > p.challengeBond) revert ParameterOutOfBounds("bounty", p.bounty, 0, p.challengeBond);
        // INVARIANT: a dispute ends within half the unbonding period (the hub's windows take the
        // other half), so a voter who may be slashed cannot have unbonded by then.
        uint256 budget = STAKES.unbondingPeriod() / 2;
        uint256 window = uint256(p.commitWindow) + p.revealWindow;
        if (window > budget) revert ParameterOutOfBounds("disputeWindow", window, 0, budget);
        _params = p;
        emit ParamsSet(p);
    }
}
