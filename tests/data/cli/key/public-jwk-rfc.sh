# SPDX-License-Identifier: Apache-2.0
# JWK thumbprints of published keys: RFC 7638 3.1 (RSA) gives
# NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs; RFC 8037 A.3 (Ed25519, the
# key of RFC 8032 7.1 test 1) gives kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k.
need python3
expect_exit 0 tg key public --format jwk "$DATA/rfc7638-rsa.pub.pem"
python3 "$DATA/json_expect.py" "$OUT" kty=RSA e=AQAB \
	kid=NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs \
	n=0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw ||
	fail "RFC 7638 key"
# the public key, and the private key of RFC 8037 A.1, give the same JWK
for k in rfc8037-ed25519.pub.pem rfc8037-ed25519.pem; do
	expect_exit 0 tg key public --format jwk "$DATA/$k"
	python3 "$DATA/json_expect.py" "$OUT" kty=OKP crv=Ed25519 \
		x=11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo \
		kid=kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k -d || fail "$k"
done
# the private scalar (RFC 8037 A.1 "d") appears nowhere in the output
grep -q 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A' "$OUT" && fail "private key printed"
true
