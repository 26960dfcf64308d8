# SPDX-License-Identifier: Apache-2.0
# key public --format jwk prints one line of JSON with the public members
# only (kty, crv, x, y / n, e) equal to the key OpenSSL sees, and a kid that
# is the RFC 7638 thumbprint, recomputed independently in Python.
need openssl python3
for t in ed25519 ecdsa-p256 ecdsa-p384 rsa-2048; do
	expect_exit 0 tg key generate --type $t --out $t.pem
	openssl pkey -in $t.pem -pubout -outform DER -out $t.spki || fail "openssl pkey"
	expect_exit 0 tg key public --format jwk $t.pem
	[ -s "$ERR" ] && fail "unexpected stderr"
	cp "$OUT" $t.jwk
	python3 "$DATA/check_jwk.py" $t.jwk $t.spki $t >/dev/null || fail "$t: JWK check failed"
	# the same key through '-' and from its public half gives the same JWK
	expect_exit 0 tg key public -f jwk - <$t.pem
	expect_out $t.jwk
	openssl pkey -in $t.pem -pubout -out $t.pub
	expect_exit 0 tg key public --format=jwk $t.pub
	expect_out $t.jwk
done
