// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Governed} from "./access/Governed.sol";
import {IDisputeManager} from "./interfaces/IDisputeManager.sol";
import {IJobRegistry} from "./interfaces/IJobRegistry.sol";
import {IStakeManager, IWindowSource} from "./interfaces/IStakeManager.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";
import {Role, Status, Verdict} from "./types/Types.sol";

/// @title DisputeManager
/// @notice Challenges and audits of OPTIMISTIC results, judged by verifier committees drawn by
///         stake that vote by commit-reveal; slashes and pays on the verdict.
/// @dev Committees are drawn with keccak256(prevrandao, blockhash(n-1), jobId): the challenger
///      cannot pick the seed but can choose the block it challenges in, and that block's proposer
///      can withhold it; a committee is therefore as random as one block's proposer allows, and a
///      colluding majority of a committee can decide one dispute (the slashes of the losing side
///      and the audit rate make that costly, see docs/THREATS.md).
contract DisputeManager is IDisputeManager, Governed, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Largest committee (an odd size avoids ties when everyone reveals).
    uint8 public constant MAX_COMMITTEE = 15;
    /// @notice Shortest and longest commit or reveal window.
    uint32 public constant MIN_WINDOW = 1 minutes;
    uint32 public constant MAX_WINDOW = 7 days;
    /// @notice Largest amount parameter: 1e9 tokens of 18 decimals.
    uint96 public constant MAX_AMOUNT = 1e27;

    /// @notice The protocol token (challenge bonds).
    IERC20 public immutable TOKEN;
    /// @notice Where committees are drawn from, and who slashes.
    IStakeManager public immutable STAKES;
    /// @notice Where bonds, pots and rewards are held.
    IPaymentVault public immutable VAULT;

    /// @notice The JobRegistry, wired in once.
    IJobRegistry public hub;
    Params private _params;
    uint256 private _disputeCount;

    struct Ballot {
        bool seated;
        Verdict revealed;
        bytes32 commitment;
    }

    mapping(uint256 disputeId => Dispute) private _disputes;
    mapping(uint256 disputeId => address[]) private _committees;
    mapping(uint256 disputeId => mapping(address voter => Ballot)) private _ballots;
    mapping(uint256 jobId => uint256 disputeId) private _latest;

    /// @param token The protocol token.
    /// @param stakes The StakeManager (wired to this contract once, at deployment).
    /// @param vault The PaymentVault (wired to this contract once, at deployment).
    /// @param governance May change the parameters (a timelock on real networks).
    /// @param params_ The initial parameters.
    constructor(
        IERC20 token,
        IStakeManager stakes,
        IPaymentVault vault,
        address governance,
        Params memory params_
    ) Governed(governance) {
        TOKEN = token;
        STAKES = stakes;
        VAULT = vault;
        _setParams(params_);
    }

    /// @notice Wires in the JobRegistry, once. Deployer only.
    function setHub(IJobRegistry hub_) external onlyDeployer {
        if (address(hub) != address(0)) revert AlreadyWired();
        if (address(hub_) == address(0)) revert ZeroAddress("hub");
        hub = hub_;
        emit HubSet(address(hub_));
    }

    /// @notice Sets the parameters; see `Params` for each bound. The windows must still end every
    ///         slash inside the unbonding period.
    function setParams(Params calldata params_) external onlyGovernance {
        _setParams(params_);
        if (address(hub) != address(0)) {
            uint256 longest = IWindowSource(address(hub)).longestSlashableWindow();
            uint256 unbonding = STAKES.unbondingPeriod();
            if (longest > unbonding) revert ParameterOutOfBounds("window", longest, 0, unbonding);
        }
    }

    /// @inheritdoc IDisputeManager
    function challenge(uint256 jobId) external nonReentrant returns (uint256 disputeId) {
        IJobRegistry.Job memory job = hub.jobOf(jobId);
        // solhint-disable-next-line not-rely-on-time
        if (job.status != Status.Submitted || block.timestamp > job.phaseEnd) revert NotChallengeable(jobId);
        if (msg.sender == job.executor || !STAKES.isEligible(msg.sender, Role.VERIFIER)) {
            revert NotStakedVerifier(msg.sender);
        }
        hub.markDisputed(jobId);
        uint96 bond = _params.challengeBond;
        disputeId = _open(jobId, job.executor, msg.sender, bond);
        TOKEN.safeTransferFrom(msg.sender, address(VAULT), bond);
    }

    /// @inheritdoc IDisputeManager
    function openAudit(uint256 jobId, address executor) external returns (uint256 disputeId) {
        if (msg.sender != address(hub)) revert UnauthorizedCaller(msg.sender);
        return _open(jobId, executor, address(0), 0);
    }

    /// @inheritdoc IDisputeManager
    function commitVote(uint256 disputeId, bytes32 commitment) external {
        // INVARIANT: a stored zero means "not committed", so a zero commitment would count twice.
        if (commitment == bytes32(0)) revert ZeroCommitment();
        Dispute storage dispute = _existing(disputeId);
        Ballot storage ballot = _seat(disputeId);
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > dispute.commitEnd || dispute.resolved)
            revert CommitPhaseOver(disputeId, dispute.commitEnd);
        if (ballot.commitment != bytes32(0)) revert AlreadyCommitted(disputeId, msg.sender);
        ballot.commitment = commitment;
        ++dispute.commits;
        emit VoteCommitted(disputeId, msg.sender);
    }

    /// @inheritdoc IDisputeManager
    function revealVote(uint256 disputeId, Verdict verdict, bytes32 salt) external {
        Dispute storage dispute = _existing(disputeId);
        Ballot storage ballot = _seat(disputeId);
        // INVARIANT: no verdict is visible while anyone can still commit, so none can be copied.
        // solhint-disable-next-line not-rely-on-time
        if (dispute.commits < dispute.seats && block.timestamp <= dispute.commitEnd) {
            revert RevealPhaseNotStarted(disputeId, dispute.commitEnd);
        }
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > dispute.revealEnd || dispute.resolved)
            revert RevealPhaseOver(disputeId, dispute.revealEnd);
        if (ballot.revealed != Verdict.Undecided) revert AlreadyRevealed(disputeId, msg.sender);
        if (verdict == Verdict.Undecided) revert InvalidVerdict();
        if (ballot.commitment != commitmentOf(msg.sender, disputeId, verdict, salt)) {
            revert CommitmentMismatch(disputeId, msg.sender);
        }
        ballot.revealed = verdict;
        if (verdict == Verdict.Valid) ++dispute.validVotes;
        else ++dispute.invalidVotes;
        emit VoteRevealed(disputeId, msg.sender, verdict);
    }

    /// @inheritdoc IDisputeManager
    function resolve(uint256 jobId) external nonReentrant returns (Verdict verdict) {
        uint256 disputeId = _latest[jobId];
        Dispute storage dispute = _disputes[disputeId];
        if (disputeId == 0 || dispute.resolved) revert NoOpenDispute(jobId);
        uint256 revealed = uint256(dispute.validVotes) + dispute.invalidVotes;
        // solhint-disable-next-line not-rely-on-time
        if (revealed < dispute.seats && block.timestamp <= dispute.revealEnd) {
            revert TallyTooEarly(disputeId, dispute.revealEnd);
        }
        dispute.resolved = true;
        if (dispute.validVotes > dispute.invalidVotes) verdict = Verdict.Valid;
        else if (dispute.invalidVotes > dispute.validVotes) verdict = Verdict.Invalid;
        uint256 pot = _settle(disputeId, dispute, verdict);
        emit DisputeResolved(disputeId, jobId, verdict, dispute.validVotes, dispute.invalidVotes, pot);
        hub.settleDispute(jobId, verdict, dispute.challenger, _params.bounty);
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
        return _existing(disputeId);
    }

    /// @inheritdoc IDisputeManager
    function committeeOf(uint256 disputeId) external view returns (address[] memory) {
        return _committees[disputeId];
    }

    /// @inheritdoc IDisputeManager
    function ballotOf(uint256 disputeId, address voter) external view returns (bytes32, Verdict) {
        Ballot storage ballot = _ballots[disputeId][voter];
        return (ballot.commitment, ballot.revealed);
    }

    /// @inheritdoc IDisputeManager
    function committeeSize() external view returns (uint8) {
        return _params.committeeSize;
    }

    /// @inheritdoc IDisputeManager
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
        Dispute storage dispute = _disputes[disputeId];
        dispute.commitEnd = commitEnd;
        dispute.revealEnd = revealEnd;
        dispute.seats = uint8(committee.length);
        dispute.challenger = challenger;
        dispute.bond = bond;
        dispute.jobId = jobId;
        dispute.executor = executor;
        _latest[jobId] = disputeId;
        _committees[disputeId] = committee;
        for (uint256 i = 0; i < committee.length; ++i) _ballots[disputeId][committee[i]].seated = true;
        emit DisputeOpened(disputeId, jobId, challenger, committee, commitEnd, revealEnd);
    }

    /// @dev Slashes the losing side and pays the winners; returns the pot (slashes and forfeited bond).
    function _settle(uint256 disputeId, Dispute storage dispute, Verdict verdict) private returns (uint256 pot) {
        uint256 revealed = uint256(dispute.validVotes) + dispute.invalidVotes;
        pot = _slashAll(_collect(disputeId, Verdict.Undecided, dispute.seats - revealed, true));
        if (verdict == Verdict.Undecided) {
            // A tie or an empty committee proves nothing: the bond goes back, the pot to the
            // treasury; the members who revealed did their work and are paid for it all the same.
            if (dispute.challenger != address(0)) VAULT.credit(dispute.challenger, dispute.jobId, dispute.bond);
            VAULT.distribute(dispute.jobId, pot, 0, new address[](0));
            _reward(dispute.jobId, _collect(disputeId, Verdict.Undecided, revealed, false));
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
        _reward(dispute.jobId, winners);
    }

    /// @dev Pays `voters` the audit reward from the audit pot of the job's model.
    function _reward(uint256 jobId, address[] memory voters) private {
        VAULT.rewardVoters(jobId, hub.jobOf(jobId).modelId, _params.auditReward, voters);
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
            if ((_ballots[disputeId][committee[i]].revealed == vote) == equal) members[found++] = committee[i];
        }
    }

    function _append(address[] memory list, address extra) private pure returns (address[] memory out) {
        if (extra == address(0)) return list;
        out = new address[](list.length + 1);
        for (uint256 i = 0; i < list.length; ++i) out[i] = list[i];
        out[list.length] = extra;
    }

    function _existing(uint256 disputeId) private view returns (Dispute storage dispute) {
        dispute = _disputes[disputeId];
        if (dispute.jobId == 0) revert UnknownDispute(disputeId);
    }

    function _seat(uint256 disputeId) private view returns (Ballot storage ballot) {
        ballot = _ballots[disputeId][msg.sender];
        if (!ballot.seated) revert NotOnCommittee(disputeId, msg.sender);
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
        _params = p;
        emit ParamsSet(p);
    }
}
