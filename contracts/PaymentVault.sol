// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Governed} from "./access/Governed.sol";
import {IPaymentVault} from "./interfaces/IPaymentVault.sol";
import {FeeSplit} from "./libraries/FeeSplit.sol";

/// @title PaymentVault
/// @notice Escrow, pools and credits of the protocol. Its token balance always equals escrowed fees
///         of live jobs + open challenge bonds + every account's credit + the models' audit pots + the treasury's share.
contract PaymentVault is IPaymentVault, Governed, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The protocol token.
    IERC20 public immutable TOKEN;
    /// @notice Where the treasury's share goes.
    address public treasury;
    /// @notice The JobRegistry, wired once: one of the two contracts that move value here.
    address public hub;
    /// @notice The DisputeManager, wired once: the other one.
    address public disputeManager;
    uint256 private _treasuryAccrued;
    // Each model's audit pot: the verifiers' share of that model's fees, and nothing else, pays
    // the committees that check that model's jobs (so nobody can drain other models' pots).
    mapping(uint256 modelId => uint256) private _auditPots;
    mapping(address account => uint256) private _credits;

    modifier onlyProtocol() {
        // INVARIANT: only the two wired protocol contracts move value inside the vault; the wiring
        // is set once by the deployer, so no governance action can add a caller.
        if (msg.sender != hub && msg.sender != disputeManager) revert UnauthorizedCaller(msg.sender);
        _;
    }

    /// @param token The protocol token.
    /// @param governance May change the treasury address (a timelock on real networks).
    /// @param treasury_ Where the treasury's share goes.
    constructor(IERC20 token, address governance, address treasury_) Governed(governance) {
        if (treasury_ == address(0)) revert ZeroAddress("treasury");
        TOKEN = token;
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc IPaymentVault
    function wire(address hub_, address disputes) external onlyDeployer {
        if (hub != address(0)) revert AlreadyWired();
        if (hub_ == address(0)) revert ZeroAddress("hub");
        if (disputes == address(0)) revert ZeroAddress("disputes");
        hub = hub_;
        disputeManager = disputes;
        emit Wired(hub_, disputes);
    }

    /// @inheritdoc IPaymentVault
    function payFee(
        uint256 jobId,
        uint256 modelId,
        uint256 fee,
        FeeSplit.Shares calldata shares,
        address[] calldata executors,
        address modelOwner
    ) external onlyProtocol {
        FeeSplit.Parts memory parts = FeeSplit.split(fee, shares);
        (uint256 each, uint256 dust) = FeeSplit.equalShares(parts.executor, executors.length);
        for (uint256 i = 0; i < executors.length; ++i) _credits[executors[i]] += each;
        _credits[modelOwner] += parts.modelOwner;
        _auditPots[modelId] += parts.verifiers;
        _treasuryAccrued += parts.treasury + dust;
        emit FeePaid(jobId, parts.executor - dust, parts.verifiers, parts.modelOwner, parts.treasury + dust);
    }

    /// @inheritdoc IPaymentVault
    function credit(address account, uint256 jobId, uint256 amount) external onlyProtocol {
        _credit(account, jobId, amount);
    }

    /// @inheritdoc IPaymentVault
    function distribute(
        uint256 jobId,
        uint256 pot,
        uint256 shareBps,
        address[] calldata winners
    ) external onlyProtocol {
        if (pot == 0) return;
        (uint256 each, ) = FeeSplit.equalShares((pot * shareBps) / FeeSplit.BPS, winners.length);
        for (uint256 i = 0; i < winners.length; ++i) _credit(winners[i], jobId, each);
        uint256 rest = pot - each * winners.length;
        _treasuryAccrued += rest;
        emit TreasuryAccrued(jobId, rest);
    }

    /// @inheritdoc IPaymentVault
    function settleSlash(uint256 jobId, uint256 amount, address beneficiary, uint256 bounty) external onlyProtocol {
        // INVARIANT: at most `bounty` of a slash reaches anyone; the rest goes to the treasury, out
        // of reach of the slashed node's own sybils.
        uint256 paid = beneficiary == address(0) ? 0 : (bounty < amount ? bounty : amount);
        _credit(beneficiary, jobId, paid);
        _treasuryAccrued += amount - paid;
        emit TreasuryAccrued(jobId, amount - paid);
    }

    /// @inheritdoc IPaymentVault
    function rewardVoters(
        uint256 jobId,
        uint256 modelId,
        uint256 reward,
        address[] calldata voters
    ) external onlyProtocol {
        uint256 pot = _auditPots[modelId];
        for (uint256 i = 0; i < voters.length && pot != 0; ++i) {
            uint256 paid = reward < pot ? reward : pot;
            pot -= paid;
            _credit(voters[i], jobId, paid);
        }
        _auditPots[modelId] = pot;
    }

    /// @inheritdoc IPaymentVault
    function claim() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert NothingToClaim(msg.sender);
        _credits[msg.sender] = 0;
        emit Claimed(msg.sender, amount);
        TOKEN.safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IPaymentVault
    function claimTreasury() external nonReentrant returns (uint256 amount) {
        amount = _treasuryAccrued;
        if (amount == 0) revert NothingToClaim(treasury);
        _treasuryAccrued = 0;
        emit TreasuryClaimed(treasury, amount);
        TOKEN.safeTransfer(treasury, amount);
    }

    /// @notice Sets where the treasury's share goes.
    function setTreasury(address treasury_) external onlyGovernance {
        if (treasury_ == address(0)) revert ZeroAddress("treasury");
        treasury = treasury_;
        emit TreasurySet(treasury_);
    }

    /// @inheritdoc IPaymentVault
    function creditOf(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IPaymentVault
    function treasuryAccrued() external view returns (uint256) {
        return _treasuryAccrued;
    }

    /// @inheritdoc IPaymentVault
    function auditPotOf(uint256 modelId) external view returns (uint256) {
        return _auditPots[modelId];
    }

    function _credit(address account, uint256 jobId, uint256 amount) private {
        if (amount == 0) return;
        _credits[account] += amount;
        emit Credited(account, jobId, amount);
    }
}
