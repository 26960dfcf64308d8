#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-tests.sh BUILD_DIR - runs every CTest test of a build and ends with
# one line "N passed, N failed" (skipped tests are counted on the line
# before it). Exits non-zero when any test failed.
set -u
dir=${1:?usage: run-tests.sh BUILD_DIR}
junit="$dir/ctest-junit.xml"
jobs=$(nproc 2>/dev/null || echo 2)
rm -f "$junit"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --output-junit "$(realpath "$dir")/ctest-junit.xml"
rc=$?
if [ ! -f "$junit" ]; then
	echo "run-tests: ctest wrote no results" >&2
	echo "0 passed, 1 failed"
	exit 1
fi
total=$(grep -c '<testcase ' "$junit" || true)
failed=$(grep -c '<testcase [^>]*status="fail"' "$junit" || true)
skipped=$(grep -c '<testcase [^>]*status="\(notrun\|disabled\)"' "$junit" || true)
passed=$((total - failed - skipped))
if [ "$skipped" -gt 0 ]; then
	echo "$skipped skipped (see 'SKIPPED' lines above for why)"
fi
echo "$passed passed, $failed failed"
if [ "$rc" -ne 0 ] || [ "$failed" -ne 0 ]; then
	exit 1
fi
exit 0
