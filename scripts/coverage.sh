#!/usr/bin/env bash
# solidity-coverage over contracts/ (mocks excluded, see .solcover.js). The accounting property
# runs smaller here (instrumented code is ~10x slower); `npm test` runs it at full size. Only the
# contract tests run: the node's tests in verifier/test measure nothing more in contracts/.
# Coverage regenerates typechain-types from instrumented builds, so the normal build is restored
# afterwards whatever the outcome.
set -u
cd "$(dirname "$0")/.."
PROPERTY_RUNS="${PROPERTY_RUNS:-2}" PROPERTY_ACTIONS="${PROPERTY_ACTIONS:-200}" npx hardhat coverage --testfiles "test/{unit,property,integration}/**/*.ts" "$@"
status=$?
npx hardhat compile --force --quiet >/dev/null
exit $status
