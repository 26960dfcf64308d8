# SPDX-License-Identifier: Apache-2.0
# The key file is 0600 whatever the umask (a permissive umask must not
# widen it, a strict one must not make it unreadable to its owner).
umask 000
expect_exit 0 tg key generate --type ed25519 --out open.pem
[ "$(stat -c %a open.pem)" = 600 ] || fail "umask 000: mode $(stat -c %a open.pem)"
umask 077
expect_exit 0 tg key generate --type ecdsa-p256 --out strict.pem
[ "$(stat -c %a strict.pem)" = 600 ] || fail "umask 077: mode $(stat -c %a strict.pem)"
[ -r strict.pem ] || fail "key unreadable by its owner"
