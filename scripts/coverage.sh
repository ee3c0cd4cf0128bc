#!/usr/bin/env bash
# solidity-coverage over contracts/ (mocks excluded, see .solcover.js). The property tests run
# smaller here (instrumented code is ~10x slower; coverage counts lines and branches, which a few
# runs reach); `npm test` runs them at full size. Only the
# contract tests run: the node's tests in packages/node/test measure nothing more in contracts/.
# Coverage regenerates the contract bindings (packages/node/src/typechain) from instrumented builds, so the normal build is restored
# afterwards whatever the outcome.
set -u
cd "$(dirname "$0")/.."
STAKING_RUNS="${STAKING_RUNS:-6}" DISPUTE_RUNS="${DISPUTE_RUNS:-3}" DRAWS_RUNS="${DRAWS_RUNS:-2}" DRAWS_PER_RUN="${DRAWS_PER_RUN:-80}" SNAPSHOT_TREE_RUNS="${SNAPSHOT_TREE_RUNS:-10}" PROPERTY_RUNS="${PROPERTY_RUNS:-2}" PROPERTY_ACTIONS="${PROPERTY_ACTIONS:-400}" REQUANTIZE_RUNS="${REQUANTIZE_RUNS:-20}" REFEREE_GAME_RUNS="${REFEREE_GAME_RUNS:-6}" ONESTEP_RUNS="${ONESTEP_RUNS:-4}" npx hardhat coverage --testfiles "test/{unit,property,integration}/**/*.ts" "$@"
status=$?
npx hardhat compile --force --quiet >/dev/null
exit $status
