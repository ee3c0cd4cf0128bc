// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IJobRegistry} from "../interfaces/IJobRegistry.sol";
import {RequestParams, Status} from "../types/Types.sol";

/// @notice Test-only: issue 11 finding 2's requester grinder. A requester contract that requests a
///         job, reads the executor draw in the same transaction and reverts unless its favourite
///         executor was assigned, so an unlucky try costs nothing and it can retry every block until
///         the job lands with the executor it colludes with. The hub defeats it by drawing later,
///         from a block that does not exist yet when the request runs.
contract RequestGrinder {
    /// @notice Thrown when the job seen in the request's transaction is not its favourite's.
    error Unlucky(address executor, Status status);

    IJobRegistry public immutable JOBS;
    address public immutable FAVOURITE;

    /// @param jobs The hub.
    /// @param favourite The executor the grinder wants every job to go to.
    constructor(IJobRegistry jobs, address favourite) {
        JOBS = jobs;
        FAVOURITE = favourite;
    }

    /// @notice Approves the hub to pull fees from this contract's balance.
    function approveFees(IERC20 token) external {
        token.approve(address(JOBS), type(uint256).max);
    }

    /// @notice Requests a job and keeps the request only if its favourite holds it already.
    function requestIfLucky(RequestParams calldata params) external returns (uint256 jobId) {
        jobId = JOBS.requestInference(params);
        IJobRegistry.Job memory job = JOBS.jobOf(jobId);
        if (job.status != Status.Assigned || job.executor != FAVOURITE) revert Unlucky(job.executor, job.status);
    }
}
