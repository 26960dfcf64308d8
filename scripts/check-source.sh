#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check-source.sh - house rules that a compiler does not enforce:
#  1. banned functions (STYLE.md "Untrusted input") in our C code and in
#     the C++ shims over C++ libraries (*.cc);
#  2. every C and C++ file opens with an SPDX line followed by a comment of
#     2-5 lines that says what the file is.
set -eu
cd "$(dirname "$0")/.."

banned='strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|sscanf|strncpy|alloca|system|popen|rand'
status=0
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h' '*.cc' 2>/dev/null || true)
[ -n "$files" ] || files=$(find src tests fuzz bench include tools \( -name '*.[ch]' -o -name '*.cc' \) 2>/dev/null)

for f in $files; do
	[ -f "$f" ] || continue
	# banned calls outside comments (a line that is a comment is skipped)
	# and outside literals (Rego's sprintf( in a policy string is fine)
	hits=$(sed -E "s/'(\\\\.|[^'\\\\])'/''/g; s/\"([^\"\\\\]|\\\\.)*\"/\"\"/g" "$f" |
		grep -nE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\\(" |
		grep -vE '^[0-9]+:[[:space:]]*(\*|/\*|//)' || true)
	if [ -n "$hits" ]; then
		echo "$hits" | sed "s|^|$f:|; s|\$|  <- banned function|" >&2
		status=1
	fi
	# header: line 1 SPDX, line 2 opens a comment, which closes by line 7
	l1=$(sed -n 1p "$f")
	l2=$(sed -n 2p "$f")
	case "$l1" in
	"/* SPDX-License-Identifier: "*" */") ;;
	*) echo "$f:1: first line must be /* SPDX-License-Identifier: ... */" >&2; status=1; continue ;;
	esac
	case "$l2" in
	"/*"*) ;;
	*) echo "$f:2: second line must open a comment saying what the file is" >&2; status=1; continue ;;
	esac
	close=$(awk 'NR>=2 && /\*\//{print NR; exit}' "$f")
	if [ -z "$close" ] || [ "$close" -gt 8 ] || [ "$close" -lt 5 ]; then
		echo "$f:2: the file comment must be 2-5 lines long" >&2
		status=1
	fi
done
if [ $status -eq 0 ]; then
	echo "check-source: $(echo "$files" | wc -w) files ok"
fi
exit $status
