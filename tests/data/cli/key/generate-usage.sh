# SPDX-License-Identifier: Apache-2.0
# key generate: a missing or unknown --type, a missing --out, '-' as
# --out and stray arguments are usage errors (exit 2); no file is created.
expect_exit 2 tg key generate --type dsa --out k.pem
expect_out /dev/null
expect_err_match "^tollgate key generate: unknown key type 'dsa' \(ed25519, ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096\)$"
expect_err_match "run 'tollgate key generate --help' for usage"
expect_exit 2 tg key generate --type rsa-1024 --out k.pem
expect_exit 2 tg key generate --type ecdsa-p521 --out k.pem
expect_exit 2 tg key generate --out k.pem
expect_err_match "missing --type"
expect_exit 2 tg key generate --type ed25519
expect_err_match "missing --out"
expect_exit 2 tg key generate --type ed25519 --out -
expect_exit 2 tg key generate --type ed25519 --out k.pem extra
expect_err_match "unexpected argument 'extra'"
expect_exit 2 tg key generate --type
expect_err_match "option '--type' needs a value"
[ -e k.pem ] && fail "a usage error created the key file"
true
