# SPDX-License-Identifier: Apache-2.0
# Unknown commands, unknown options and missing commands exit 2 with a
# message naming the problem and a hint to run --help; stdout stays empty.
check() {
	expect_exit 2 "$@"
	expect_out /dev/null
	expect_err_match "run 'tollgate.*--help'"
}
check tg frob
expect_err_match "^tollgate: unknown command 'frob'$"
check tg key frob
expect_err_match "^tollgate: unknown command 'key frob'$"
check tg help frob
expect_err_match "unknown command 'frob'"
check tg --frob
expect_err_match "^tollgate: unknown option '--frob'$"
check tg json canon --frob
expect_err_match "^tollgate json canon: unknown option '--frob'$"
check tg json canon -x
expect_err_match "unknown option '-x'"
check tg digest --alg
expect_err_match "^tollgate digest: option '--alg' needs a value$"
check tg key
expect_err_match "^tollgate key: missing command \(generate, public\)$"
check tg jwt
expect_err_match "^tollgate jwt: missing command \(sign, verify\)$"
check tg help key frob
check tg help json canon extra
# no command at all: the list, on stderr
expect_exit 2 tg
expect_out /dev/null
expect_err_match '^usage: tollgate '
