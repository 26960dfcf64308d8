# SPDX-License-Identifier: Apache-2.0
# policy eval|bench|test|check|fmt|conformance: each takes its own flags
# (another command's flag is unknown), --v0/--v1 reach the parser and the
# query, bad values and missing operands are usage errors (exit 2).
printf 'package p\n\nallow if input.user == "alice"\n' >p.rego
printf 'package p\n\nallow { input.user == "alice" }\n' >v0.rego
printf 'package p_test\n\nimport data.p\n\ntest_a { p.allow with input as {"user": "alice"} }\n' >v0_test.rego
echo '{"user":"alice"}' >in.json

# operands
expect_exit 2 tg policy bench -d p.rego
expect_err_match "^tollgate policy bench: one QUERY is required$"
expect_exit 2 tg policy eval a b
expect_err_match "^tollgate policy eval: one QUERY is required$"
for c in test check conformance; do
	expect_exit 2 tg policy $c --v1
	expect_err_match "^tollgate policy $c: at least one PATH is required$"
done
expect_exit 2 tg policy fmt -w
expect_err_match "^tollgate policy fmt: at least one FILE is required$"
expect_err_match "^run 'tollgate policy fmt --help' for usage$"

# a flag of another policy command is unknown here
expect_exit 2 tg policy fmt --count 5 p.rego
expect_err_match "^tollgate policy fmt: unknown option '--count'$"
expect_exit 2 tg policy test -d p.rego p.rego
expect_err_match "^tollgate policy test: unknown option '-d'$"
expect_exit 2 tg policy check -v p.rego
expect_err_match "^tollgate policy check: unknown option '-v'$"
expect_exit 2 tg policy bench --allow-net h 'data.p.allow'
expect_err_match "^tollgate policy bench: unknown option '--allow-net'$"
expect_exit 2 tg policy eval --format json 'data.p.allow'
expect_err_match "^tollgate policy eval: unknown option '--format'$"
expect_exit 2 tg policy conformance --data p.rego x
expect_err_match "^tollgate policy conformance: unknown option '--data'$"

# values
expect_exit 2 tg policy check --format
expect_err_match "^tollgate policy check: option '--format' needs a value$"
expect_exit 2 tg policy check --format xml p.rego
expect_err_match "^tollgate policy check: --format is text or json$"
expect_exit 2 tg policy bench --count 0 'data.p.allow'
expect_err_match "^tollgate policy bench: --count wants a positive number, not '0'$"
expect_exit 2 tg policy bench --count 100000001 'data.p.allow'
expect_err_match "^tollgate policy bench: --count is at most 100000000$"
expect_exit 2 tg policy eval --limit-memory x 'data.p.allow'
expect_err_match "^tollgate policy eval: --limit-memory wants a positive number, not 'x'$"
expect_exit 2 tg policy eval --timeout -1 'data.p.allow'
expect_err_match "^tollgate policy eval: --timeout wants a positive number, not '-1'$"
expect_exit 2 tg policy eval --allow-net 'a,,b' 'data.p.allow'
expect_err_match "^tollgate policy eval: --allow-net wants host names or addresses separated by commas, not 'a,,b'$"
expect_exit 2 tg policy eval -i
expect_err_match "^tollgate policy eval: option '-i' needs a value$"
# options are taken in order: the bad value before the help
expect_exit 2 tg policy bench --count 0 --help
expect_exit 0 tg policy bench --help --count 0
expect_out_match '^usage: tollgate policy bench '

# --v0/--v1 reach every command, the last one wins
expect_exit 0 tg policy eval --v1 --v0 -d v0.rego -i in.json 'data.p.allow'
expect_out_match '"value": *true'
expect_exit 2 tg policy eval --v0 --v1 -d v0.rego 'data.p.allow'
expect_exit 0 tg policy bench --v0 -d v0.rego --count 2 'data.p.allow'
expect_out_match '^samples +2$'
expect_exit 0 tg policy test --v0 -v v0.rego v0_test.rego
expect_out_match '^PASS: 1/1$'
expect_exit 2 tg policy test v0.rego v0_test.rego
expect_exit 0 tg policy check --v0 v0.rego
expect_exit 2 tg policy check --format=json v0.rego
expect_out_match '"code": "rego_parse_error"'
expect_exit 2 tg policy fmt v0.rego
expect_exit 0 tg policy fmt --v0 v0.rego
expect_out_match '^allow if \{$'
expect_exit 0 tg policy fmt --v0 --write v0.rego
grep -q '^allow if {$' v0.rego || fail "fmt --write did not rewrite v0.rego"
