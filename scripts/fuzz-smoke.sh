#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# fuzz-smoke.sh BUILD_DIR SECONDS - runs every fuzz target of a fuzz build
# on its seed corpus (fuzz/corpus/<name>) for a bounded time. A crash,
# leak or timeout fails the run; the reproducer lands in fuzz/artifacts/.
set -eu
dir=${1:?usage: fuzz-smoke.sh BUILD_DIR SECONDS}
secs=${2:-20}
top=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$top/fuzz/artifacts"
fail=0
ran=0
for bin in "$dir"/fuzz/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	name=${name#fuzz_}
	corpus="$top/fuzz/corpus/$name"
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
	echo "fuzz-smoke: $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$top/fuzz/artifacts/$name-" -print_final_stats=1 \
		"$work" >"$work.log" 2>&1; then
		tail -n 40 "$work.log" >&2
		echo "fuzz-smoke: $name FAILED" >&2
		fail=1
	else
		grep -E 'stat::number_of_executed_units|cov:' "$work.log" | tail -n 2
	fi
	rm -rf "$work" "$work.log"
	ran=$((ran + 1))
done
echo "fuzz-smoke: $ran targets, $([ $fail -eq 0 ] && echo ok || echo FAILED)"
exit $fail
