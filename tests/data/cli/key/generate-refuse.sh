# SPDX-License-Identifier: Apache-2.0
# key generate never overwrites: an existing file (or a symlink, even a
# dangling one) is an error (exit 2) that says the file exists, and is left
# as it was.
printf 'precious\n' >k.pem
expect_exit 2 tg key generate --type ed25519 --out k.pem
expect_out /dev/null
expect_err_match "^tollgate: .*'k\.pem'.*([Ee]xists)"
[ "$(cat k.pem)" = precious ] || fail "existing file was changed"
ln -s target.pem link.pem
expect_exit 2 tg key generate --type ed25519 --out link.pem
expect_err_match "exists"
[ -e target.pem ] && fail "the key was written through a symlink"
# a directory that does not exist
expect_exit 2 tg key generate --type ed25519 --out no/such/dir.pem
expect_err_match "^tollgate: cannot create 'no/such/dir\.pem': No such file or directory"
true
