# SPDX-License-Identifier: Apache-2.0
# tollgate --help and tollgate help list every command with its summary,
# on stdout, exit 0, and print the same text.
expect_exit 0 tg --help
[ -s "$ERR" ] && fail "--help wrote to stderr"
grep -q '^usage: tollgate ' "$OUT" || fail "--help does not start with usage"
for c in 'json canon' 'digest' 'key generate' 'key public' 'jwt sign' 'jwt verify' \
	'help \[<command>\]'; do
	grep -q "^  $c  *[a-z]" "$OUT" || fail "--help does not list '$c' with a summary"
done
cp "$OUT" list.txt
expect_exit 0 tg help
expect_out list.txt
expect_exit 0 tg -h
expect_out list.txt
grep -q 'exit codes\|Exit codes' list.txt || fail "--help does not document the exit codes"
