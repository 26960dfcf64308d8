# SPDX-License-Identifier: Apache-2.0
# digest: no FILE or an unknown algorithm is a usage error (exit 2).
expect_exit 2 tg digest
expect_out /dev/null
expect_err_match "^tollgate digest: no FILE given"
expect_err_match "run 'tollgate digest --help' for usage"
printf 'x' >f
expect_exit 2 tg digest --alg md5 f
expect_out /dev/null
expect_err_match "^tollgate digest: unknown algorithm 'md5'"
expect_exit 2 tg digest --alg SHA-256 f
expect_exit 2 tg digest --nope f
expect_err_match "unknown option '--nope'"
