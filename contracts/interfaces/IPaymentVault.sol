// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {FeeSplit} from "../libraries/FeeSplit.sol";
import {IGoverned} from "./IGoverned.sol";

/// @title IPaymentVault
/// @notice Holds every protocol token that is not stake: escrowed fees, challenge bonds, slashed
///         stake on its way to winners, each model's audit pot, the treasury's share, and the
///         credits that accounts claim. Only the protocol's contracts move value inside it;
///         accounts take their credits out with `claim` (credit first, then pull).
interface IPaymentVault is IGoverned {
    /// @notice Thrown when there is nothing to claim.
    error NothingToClaim(address account);

    /// @notice Emitted once, when the deployer wires the two contracts that move value here.
    event Wired(address hub, address disputeManager);
    /// @notice Emitted when a job's fee is split and credited.
    event FeePaid(
        uint256 indexed jobId,
        uint256 executorPart,
        uint256 verifierPart,
        uint256 modelOwnerPart,
        uint256 treasuryPart
    );
    /// @notice Emitted when an account is credited (refunds, bonds, dispute pots, rewards).
    event Credited(address indexed account, uint256 indexed jobId, uint256 amount);
    /// @notice Emitted when value is added to the treasury's share outside a fee split.
    event TreasuryAccrued(uint256 indexed jobId, uint256 amount);
    /// @notice Emitted when an account claims its credits.
    event Claimed(address indexed account, uint256 amount);
    /// @notice Emitted when the treasury's share is sent to it.
    event TreasuryClaimed(address indexed treasury, uint256 amount);
    /// @notice Emitted when governance sets the treasury address.
    event TreasurySet(address treasury);

    /// @notice Wires, once, the two contracts that may move value inside the vault: the
    ///         JobRegistry and the DisputeManager. Deployer only.
    function wire(address hub, address disputes) external;

    /// @notice Splits an escrowed fee: `executors` share the executor part equally, the model owner,
    ///         the model's audit pot and the treasury get theirs; rounding dust goes to the treasury. Protocol only.
    function payFee(
        uint256 jobId,
        uint256 modelId,
        uint256 fee,
        FeeSplit.Shares calldata shares,
        address[] calldata executors,
        address modelOwner
    ) external;

    /// @notice Credits `amount` to `account`. Protocol only.
    function credit(address account, uint256 jobId, uint256 amount) external;

    /// @notice Pays `shareBps` of `pot` equally to `winners`; the rest, dust included, goes to the
    ///         treasury. Protocol only.
    function distribute(uint256 jobId, uint256 pot, uint256 shareBps, address[] calldata winners) external;

    /// @notice Pays each of `voters` `reward` from model `modelId`'s audit pot while it lasts: a
    ///         committee is paid by the jobs of the model it checks, never by other models' fees.
    ///         Protocol only.
    function rewardVoters(uint256 jobId, uint256 modelId, uint256 reward, address[] calldata voters) external;

    /// @notice Routes slashed collateral: `beneficiary` (a challenger proved right, or zero) gets at
    ///         most `bounty` of `amount`, the treasury the rest. Protocol only.
    function settleSlash(uint256 jobId, uint256 amount, address beneficiary, uint256 bounty) external;

    /// @notice Sends the caller everything credited to it.
    function claim() external returns (uint256 amount);

    /// @notice Sends the treasury its accrued share. Anyone may call.
    function claimTreasury() external returns (uint256 amount);

    /// @notice What `account` can claim.
    function creditOf(address account) external view returns (uint256);

    /// @notice The treasury's unclaimed share.
    function treasuryAccrued() external view returns (uint256);

    /// @notice What model `modelId`'s audit pot holds: the verifiers' share of its fees not yet paid out.
    function auditPotOf(uint256 modelId) external view returns (uint256);
}
