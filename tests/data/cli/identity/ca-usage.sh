# SPDX-License-Identifier: Apache-2.0
# ca init and ca rotate: missing or invalid options are usage errors (exit 2)
# that name the problem; an invalid trust domain creates nothing; rotate of
# a directory that holds no CA fails with exit 2.
expect_exit 2 tg ca init --trust-domain example.org
expect_err_match "^tollgate ca init: missing --dir D$"
expect_exit 2 tg ca init --dir ca
expect_err_match "missing --trust-domain TD"
expect_exit 2 tg ca init --dir ca --trust-domain example.org --key-type rsa-2048
expect_err_match "unknown key type 'rsa-2048' \(ecdsa-p256 or ecdsa-p384\)"
expect_exit 2 tg ca init --dir ca --trust-domain example.org --key-type ed25519
for td in 'Example.org' 'spiffe://example.org' 'exa mple.org' '' 'example.org/path'; do
	expect_exit 2 tg ca init --dir ca --trust-domain "$td"
	expect_err_match "invalid trust domain"
done
[ -e ca ] && fail "an invalid trust domain created the directory"
expect_exit 2 tg ca init --dir ca --trust-domain example.org extra
expect_err_match "unexpected argument 'extra'"
expect_exit 2 tg ca init --dir ca --trust-domain
expect_err_match "option '--trust-domain' needs a value"
expect_exit 2 tg ca init --bogus
expect_err_match "unknown option '--bogus'"
expect_exit 0 tg ca init --help
expect_out_match '^usage: tollgate ca init --dir D --trust-domain TD'
expect_exit 2 tg ca rotate
expect_err_match "missing --dir D"
mkdir empty
expect_exit 2 tg ca rotate --dir empty
expect_err_match "^tollgate: cannot open the CA in 'empty'"
expect_exit 2 tg ca rotate --dir nowhere
expect_err_match "^tollgate: cannot open the CA in 'nowhere'"
