#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run-case.sh CASE.sh - runs one CLI case. A case is a POSIX shell script
# sourced here with these helpers; it runs in a fresh temporary directory.
#   tg ARGS...            run the tollgate binary ($TG_BIN)
#   expect_exit N CMD...  run CMD, fail unless it exits N; output in $OUT/$ERR files
#   expect_out FILE       fail unless the last stdout equals FILE
#   expect_err_match RE   fail unless the last stderr matches the regex RE
#   expect_out_line TEXT  fail unless the last stdout is exactly TEXT and a newline
#   expect_out_match RE   fail unless the last stdout matches the regex RE
#   expect_err_line TEXT  fail unless the last stderr is exactly TEXT and a newline
#   fail MSG              fail the case
#   need PROG...          skip the case (exit 77, loudly) unless each PROG is installed
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
expect_out_line() {
	printf '%s\n' "$1" >"$WORK/.want"
	expect_out "$WORK/.want"
}
expect_out_match() {
	if ! grep -Eq -- "$1" "$OUT"; then
		echo "--- stdout" >&2; head -c 4000 "$OUT" >&2
		fail "stdout does not match /$1/"
	fi
}
expect_err_line() {
	printf '%s\n' "$1" >"$WORK/.want"
	if ! cmp -s "$ERR" "$WORK/.want"; then
		echo "--- got stderr" >&2; head -c 4000 "$ERR" >&2
		echo "--- want stderr" >&2; cat "$WORK/.want" >&2
		fail "stderr differs"
	fi
}
need() {
	for prog in "$@"; do
		if ! command -v "$prog" >/dev/null 2>&1; then
			echo "SKIPPED: $(basename "$case_file") needs '$prog' (scripts/deps.sh check installs it)" >&2
			exit 77
		fi
	done
}

. "$case_file"
echo "ok: $(basename "$case_file")"
exit 0
