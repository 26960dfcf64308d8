#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh BUILD_DIR - runs every benchmark against the tollgate binary of a
# (release) build: digest throughput and JSON canonicalisation. Benchmarks
# are not tests: they print throughput and ratios against peers. tlog.sh
# and identity.sh (when present) run last.
set -eu
dir=${1:?usage: bench/run.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(cd "$dir" && pwd)/tollgate
if [ ! -x "$bin" ]; then
	echo "bench: no tollgate binary at $bin (build it first: make release)" >&2
	exit 2
fi
"$here/digest.sh" "$bin"
echo
"$here/json.sh" "$bin"
echo
"$here/rego.sh" "$bin"
# other benchmarks that take the build directory
if [ -x "$here/tlog.sh" ]; then
	echo
	"$here/tlog.sh" "$dir"
fi
if [ -x "$here/gate.sh" ]; then
	echo
	"$here/gate.sh" "$dir"
fi
if [ -x "$here/identity.sh" ]; then
	echo
	"$here/identity.sh" "$dir"
fi
if [ -x "$here/sign.sh" ]; then
	echo
	"$here/sign.sh" "$dir"
fi
[ ! -x "$here/daemon.sh" ] || { echo; "$here/daemon.sh" "$dir"; }
