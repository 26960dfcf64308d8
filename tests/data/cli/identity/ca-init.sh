# SPDX-License-Identifier: Apache-2.0
# ca init prints the trust domain and the SHA-256 fingerprint of the root
# certificate, which openssl computes the same way (interop); the root is a
# CA certificate for keyCertSign, private keys are 0600, and a second init
# into the same directory is refused (exit 2) without touching it.
need openssl
. "$DATA/setup.inc"
expect_exit 0 tg ca init --dir ca --trust-domain example.org
expect_out_match '^example\.org sha256:[0-9a-f]{64}$'
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "more than one line"
fp=$(openssl x509 -in ca/root.pem -outform DER | sha256sum | cut -d' ' -f1)
expect_out_line "example.org sha256:$fp"
openssl x509 -in ca/root.pem -noout -text >root.txt || fail "openssl cannot read root.pem"
grep -q 'CA:TRUE' root.txt || fail "root is not a CA"
grep -q 'Certificate Sign' root.txt || fail "root lacks keyCertSign"
grep -q 'NIST CURVE: P-256' root.txt || fail "root is not P-256 by default"
[ "$(stat -c %a ca/root.key)" = 600 ] || fail "root.key mode $(stat -c %a ca/root.key)"
for k in ca/intermediates/*.key ca/jwt/*.key; do
	[ -f "$k" ] || fail "no key files in intermediates/ or jwt/"
	[ "$(stat -c %a "$k")" = 600 ] || fail "$k mode $(stat -c %a "$k")"
done
cp ca/root.pem root.before
expect_exit 2 tg ca init --dir ca --trust-domain example.org
expect_out /dev/null
expect_err_match '^tollgate: cannot create the CA'
cmp -s ca/root.pem root.before || fail "a refused init changed the root"
# P-384
expect_exit 0 tg ca init --dir ca384 --trust-domain prod.example.com --key-type ecdsa-p384
expect_out_match '^prod\.example\.com sha256:[0-9a-f]{64}$'
openssl x509 -in ca384/root.pem -noout -text | grep -q 'NIST CURVE: P-384' ||
	fail "--key-type ecdsa-p384 root is not P-384"
