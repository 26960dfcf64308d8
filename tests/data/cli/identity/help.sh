# SPDX-License-Identifier: Apache-2.0
# Every identity command has a usage text (--help and `tollgate help`), and
# `tollgate --help` lists them.
for c in "ca init" "ca rotate" "bundle export" "bundle import" "entry create" \
	"entry list" "entry delete" "jointoken create" "svid verify" "svid revoke" \
	attest agent; do
	# shellcheck disable=SC2086
	expect_exit 0 tg $c --help
	expect_out_match "^usage: tollgate $c"
	# shellcheck disable=SC2086
	expect_exit 0 tg help $c
	expect_out_match "^usage: tollgate $c"
done
expect_exit 0 tg --help
for c in "ca init" "bundle import" "entry create" "jointoken create" attest "svid verify" \
	"svid revoke" agent; do
	expect_out_match "^  $c "
done
expect_exit 2 tg ca
expect_err_match "missing command \(init, rotate\)"
expect_exit 2 tg svid check
expect_err_match "unknown command 'svid check'"
