#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-case.sh CASE.sh - runs one CLI case. A case is a POSIX shell script
# sourced here with these helpers; it runs in a fresh temporary directory.
#   tg ARGS...            run the tollgate binary ($TG_BIN)
#   expect_exit N CMD...  run CMD, fail unless it exits N; output in $OUT/$ERR files
#   expect_out FILE       fail unless the last stdout equals FILE
#   expect_err_match RE   fail unless the last stderr matches the regex RE
#   fail MSG              fail the case
#   DATA                  the directory of the case file (its data files)
set -u
case_file=$(realpath "$1")
DATA=$(dirname "$case_file")
: "${TG_BIN:?TG_BIN must name the tollgate binary}"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 2
OUT="$WORK/.stdout"
ERR="$WORK/.stderr"

tg() { "$TG_BIN" "$@"; }
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
expect_exit() {
	want=$1
	shift
	"$@" >"$OUT" 2>"$ERR"
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2; head -c 4000 "$OUT" >&2
		echo "--- stderr" >&2; head -c 4000 "$ERR" >&2
		fail "'$*' exited $got, want $want"
	fi
}
expect_out() {
	if ! cmp -s "$OUT" "$1"; then
		echo "--- got" >&2; head -c 4000 "$OUT" >&2
		echo "--- want" >&2; head -c 4000 "$1" >&2
		fail "stdout differs from $1"
	fi
}
expect_err_match() {
	if ! grep -Eq -- "$1" "$ERR"; then
		echo "--- stderr" >&2; head -c 4000 "$ERR" >&2
		fail "stderr does not match /$1/"
	fi
}

. "$case_file"
echo "ok: $(basename "$case_file")"
exit 0
