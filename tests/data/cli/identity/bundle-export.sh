# SPDX-License-Identifier: Apache-2.0
# bundle export: the SPIFFE format follows the Trust Domain and Bundle spec
# (checked by check_bundle.py); pem is the root as openssl reads it (same
# DER as ca/root.pem); jwks is a plain JWK set of the JWT key(s) that
# `jwt verify` takes. Unknown formats and trust domains are errors.
need python3 openssl
. "$DATA/setup.inc"
ca_init
expect_exit 0 tg bundle export --dir ca
python3 "$DATA/check_bundle.py" "$OUT" ca/root.pem 1 >/dev/null || fail "spiffe bundle"
cp "$OUT" default.json
expect_exit 0 tg bundle export --dir ca --format spiffe
expect_out default.json
expect_exit 0 tg bundle export --dir ca --format pem
[ "$(pem_count "$OUT")" -eq 1 ] || fail "pem: not one certificate"
a=$(openssl x509 -in "$OUT" -outform DER | sha256sum)
b=$(openssl x509 -in ca/root.pem -outform DER | sha256sum)
[ "$a" = "$b" ] || fail "pem bundle is not the root"
expect_exit 0 tg bundle export --dir ca --format jwks
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); k=d['keys']; \
assert len(k)==1 and k[0]['kid'] and k[0]['kty']=='EC' and 'd' not in k[0]" "$OUT" ||
	fail "jwks"
expect_exit 2 tg bundle export --dir ca --format der
expect_err_match "unknown format 'der' \(spiffe, pem, jwks\)"
expect_exit 2 tg bundle export --dir ca --trust-domain other.org
expect_err_match "no bundle of trust domain 'other\.org'"
expect_exit 0 tg bundle export --dir ca --trust-domain example.org
expect_out default.json
expect_exit 2 tg bundle export
expect_err_match "missing --dir D"
expect_exit 2 tg bundle export --dir nowhere
expect_err_match "cannot open the CA in 'nowhere'"
