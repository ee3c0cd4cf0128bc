// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Governed} from "./access/Governed.sol";
import {IDisputeManager} from "./interfaces/IDisputeManager.sol";
import {IDisputeResolver} from "./interfaces/IDisputeResolver.sol";
import {IStakeManager} from "./interfaces/IStakeManager.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {IRandomnessSource, RandomnessStatus} from "./interfaces/IRandomnessSource.sol";
import {CommitReveal} from "./libraries/CommitReveal.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";
import {Role, Verdict} from "./types/Types.sol";

/// @title DisputeManager
/// @notice The default dispute resolver: challenges and audits of OPTIMISTIC results, judged by
///         verifier committees drawn by stake that vote by commit-reveal (the shared CommitReveal
///         round). The JobRegistry opens and resolves disputes and acts on the verdict; this contract
///         never calls it. It slashes and pays the committee's side (voters, the bond) itself.
/// @dev Draws nobody can grind. Opening a dispute fixes a randomness target in the future (the
///      RANDOMNESS source) and a stake snapshot (the StakeManager epoch current at opening); nobody
///      learns the committee in the opening transaction, so a contract that challenges, reads and
///      reverts when unlucky learns nothing. Once the target's value is known anyone pins the draw
///      (`drawCommittee`); the seats follow from that value and the snapshot alone, so pinning (or
///      reverting a pin) chooses nothing. Seats are drawn with replacement, in proportion to stake:
///      a node holds as many seats as it was drawn, casts one ballot worth them all, and is paid and
///      slashed per seat, so splitting stake over sybils gains nothing. What a block producer can
///      still bias depends on the source and the chain: docs/RANDOMNESS.md.
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
    /// @notice Where the randomness of committee draws comes from.
    IRandomnessSource public immutable RANDOMNESS;
    /// @notice Where bonds, pots and rewards are held.
    IPaymentVault public immutable VAULT;

    /// @notice The JobRegistry, wired in once: the only caller of `open` and `resolve`.
    address public hub;
    Params private _params;
    uint256 private _disputeCount;

    /// @dev One dispute: its round (one slot), its tally, its draw and its parties.
    struct Record {
        CommitReveal.Round round; // seats stay zero until the committee is drawn
        uint8 validVotes; // seats
        uint8 invalidVotes; // seats
        bool drawn;
        uint8 rearms; // draws re-armed because their randomness could no longer be read
        uint32 openedAt;
        uint32 snapshotEpoch; // the stake epoch current at opening
        uint64 drawTarget; // the randomness target of the draw
        uint32 modelId;
        address challenger; // zero for an audit
        uint96 bond;
        uint256 jobId;
        address executor;
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
    /// @param randomness The source of the committee draws' randomness.
    /// @param vault The PaymentVault (wired to this contract once, at deployment).
    /// @param governance May change the parameters (a timelock on real networks).
    /// @param params_ The initial parameters.
    constructor(
        IStakeManager stakes,
        IRandomnessSource randomness,
        IPaymentVault vault,
        address governance,
        Params memory params_
    ) Governed(governance) {
        if (address(randomness) == address(0)) revert ZeroAddress("randomness");
        STAKES = stakes;
        RANDOMNESS = randomness;
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
        address challenger,
        bytes32 /* jobDigest: the committee re-runs the job from its own logs */
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
    function drawCommittee(uint256 disputeId) external nonReentrant returns (address[] memory members) {
        Record storage dispute = _existing(disputeId);
        if (dispute.drawn || dispute.round.closed) revert CommitteeAlreadyDrawn(disputeId);
        // INVARIANT: a committee is drawn within the pin window; after it the dispute can only end
        // Undecided, so a party that withholds the pin cannot wait for a better draw.
        uint32 deadline = dispute.openedAt + _params.commitWindow;
        // solhint-disable-next-line not-rely-on-time
        if (block.timestamp > deadline) revert DrawExpired(disputeId, deadline);
        uint64 target = dispute.drawTarget;
        (RandomnessStatus status, bytes32 value) = RANDOMNESS.randomnessOf(target);
        if (status == RandomnessStatus.Pending) revert DrawNotReady(disputeId, target);
        if (status == RandomnessStatus.Lost) {
            // Nobody pinned while the value was readable: a new target, same snapshot. Nobody
            // learned the lost value's committee, so this re-arm re-rolls nothing anyone saw.
            uint64 next = RANDOMNESS.request();
            dispute.drawTarget = next;
            ++dispute.rearms;
            emit DrawRearmed(disputeId, next, dispute.rearms);
            return members;
        }
        address[] memory exclude = new address[](dispute.challenger == address(0) ? 1 : 2);
        exclude[0] = dispute.executor;
        if (dispute.challenger != address(0)) exclude[1] = dispute.challenger;
        bytes32 seed = keccak256(abi.encode(value, dispute.jobId, disputeId, address(this), block.chainid));
        (bool ok, address[] memory holders) = STAKES.drawSeats(
            Role.VERIFIER,
            0, // verifiers draw from one pool, whatever the model
            dispute.snapshotEpoch,
            seed,
            _params.committeeSize,
            exclude
        );
        // The pin window is at most one stake epoch (_setParams), so the snapshot still answers.
        if (!ok) revert DrawExpired(disputeId, deadline);
        members = _seatHolders(disputeId, holders);
        // solhint-disable-next-line not-rely-on-time
        uint32 commitEnd = uint32(block.timestamp) + _params.commitWindow;
        uint32 revealEnd = commitEnd + _params.revealWindow;
        dispute.drawn = true;
        dispute.round.open(commitEnd, revealEnd, _params.revealWindow, uint8(holders.length));
        emit CommitteeDrawn(disputeId, dispute.jobId, members, holders.length, commitEnd, revealEnd);
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
        if (!dispute.drawn) {
            // No committee was drawn in the pin window: the dispute ends Undecided (nobody voted).
            uint32 deadline = dispute.openedAt + _params.commitWindow;
            // solhint-disable-next-line not-rely-on-time
            if (block.timestamp <= deadline) revert TallyTooEarly(disputeId, deadline);
            dispute.round.closed = true;
        } else {
            dispute.round.close(disputeId);
        }
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
                executor: d.executor,
                drawn: d.drawn,
                drawTarget: d.drawTarget,
                snapshotEpoch: d.snapshotEpoch,
                openedAt: d.openedAt
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

    /// @inheritdoc IDisputeManager
    function seatsOf(uint256 disputeId, address voter) external view returns (uint8) {
        return _ballots[disputeId][voter].weight;
    }

    /// @inheritdoc IDisputeResolver
    function committeeSize() external view returns (uint8) {
        return _params.committeeSize;
    }

    /// @inheritdoc IDisputeResolver
    function disputeWindow() external view returns (uint256) {
        return _disputeWindow(_params);
    }

    /// @inheritdoc IDisputeManager
    function disputeOfJob(uint256 jobId) external view returns (uint256) {
        return _latest[jobId];
    }

    /// @inheritdoc IDisputeManager
    function bounty() external view returns (uint96) {
        return _params.bounty;
    }

    /// @inheritdoc IDisputeManager
    function auditCost() external view returns (uint256) {
        return uint256(_params.committeeSize) * _params.auditReward;
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
        disputeId = ++_disputeCount;
        // The committee is not drawn here: the draw's randomness is not known before `target`.
        uint64 target = RANDOMNESS.request();
        uint32 epoch = STAKES.currentEpoch();
        Record storage dispute = _disputes[disputeId];
        // solhint-disable-next-line not-rely-on-time
        dispute.openedAt = uint32(block.timestamp);
        dispute.snapshotEpoch = epoch;
        dispute.drawTarget = target;
        dispute.modelId = uint32(modelId); // model ids stay below 2^24 (ModelRegistry.MAX_MODELS)
        dispute.challenger = challenger;
        dispute.bond = bond;
        dispute.jobId = jobId;
        dispute.executor = executor;
        _latest[jobId] = disputeId;
        emit DisputeOpened(disputeId, jobId, challenger, target, epoch);
    }

    /// @dev Seats the drawn holders (one entry per seat) as ballots weighted by their seats; returns
    ///      the distinct members in the order first drawn. At most MAX_COMMITTEE entries.
    function _seatHolders(uint256 disputeId, address[] memory holders) private returns (address[] memory members) {
        members = new address[](holders.length);
        uint256 count;
        for (uint256 i = 0; i < holders.length; ++i) {
            CommitReveal.Ballot storage ballot = _ballots[disputeId][holders[i]];
            if (ballot.weight == 0) members[count++] = holders[i];
            ++ballot.weight;
        }
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Shrinks the array to the distinct members; count <= holders.length.
            mstore(members, count)
        }
        _committees[disputeId] = members;
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

    /// @dev The `count` seats whose holder's revealed vote is (`equal`) or is not (`!equal`)
    ///      `vote`, one entry per seat (a member holding two seats appears twice), so slashes,
    ///      rewards and shares are per seat; loops over at most MAX_COMMITTEE seats.
    function _collect(
        uint256 disputeId,
        Verdict vote,
        uint256 count,
        bool equal
    ) private view returns (address[] memory seats) {
        seats = new address[](count);
        address[] storage committee = _committees[disputeId];
        uint256 found;
        for (uint256 i = 0; i < committee.length && found < count; ++i) {
            CommitReveal.Ballot storage ballot = _ballots[disputeId][committee[i]];
            if ((Verdict(uint8(uint256(ballot.revealed))) == vote) != equal) continue;
            for (uint256 w = 0; w < ballot.weight && found < count; ++w) seats[found++] = committee[i];
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
        uint256 window = _disputeWindow(p);
        if (window > budget) revert ParameterOutOfBounds("disputeWindow", window, 0, budget);
        // INVARIANT: the pin window (one commit window) fits in one stake epoch, so a dispute's
        // snapshot still answers whenever its committee may be drawn.
        uint256 epochLength = STAKES.EPOCH_LENGTH();
        if (p.commitWindow > epochLength)
            revert ParameterOutOfBounds("commitWindow", p.commitWindow, MIN_WINDOW, epochLength);
        // INVARIANT: a verifier's minimum stake covers the penalty of a full committee's seats.
        uint256 minStake = STAKES.minStake(Role.VERIFIER);
        uint256 exposure = uint256(p.voterSlash) * p.committeeSize;
        if (exposure > minStake) revert ParameterOutOfBounds("voterSlash", p.voterSlash, 0, minStake / p.committeeSize);
        _params = p;
        emit ParamsSet(p);
    }

    /// @dev From opening to the last moment a dispute can be resolved: the pin window (one commit
    ///      window), then the commit and reveal windows.
    function _disputeWindow(Params memory p) private pure returns (uint256) {
        return 2 * uint256(p.commitWindow) + p.revealWindow;
    }
}
