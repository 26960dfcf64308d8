# SPDX-License-Identifier: Apache-2.0
# jwt sign then jwt verify, for each key type: the token verifies with the
# key's JWK and with a JWK set holding it, the claims come back, and the
# header is {"alg","kid","typ":"JWT"} with the kid of 'key public --format jwk'.
need python3
. "$DATA/setup.inc"
claims claims.json
for t in ed25519:EdDSA ecdsa-p256:ES256 ecdsa-p384:ES384 rsa-2048:PS256; do
	type=${t%%:*}
	alg=${t#*:}
	make_key $type $type
	expect_exit 0 tg jwt sign --key $type.pem --claims claims.json
	[ -s "$ERR" ] && fail "$type: stderr from jwt sign"
	[ "$(wc -l <"$OUT")" -eq 1 ] || fail "$type: the token is not one line"
	cp "$OUT" $type.jwt
	[ -n "$(kid $type.jwk)" ] || fail "$type: no kid in the JWK"
	python3 "$DATA/jwt_split.py" $type.jwt alg=$alg typ=JWT kid="$(kid $type.jwk)" ||
		fail "$type: header"
	cmp -s payload.json claims.json || fail "$type: the payload is not the claims"

	expect_exit 0 tg jwt verify --jwks $type.jwk --iss https://ci.example --aud tollgate \
		"$(cat $type.jwt)"
	{ cat claims.json; echo; } >want
	expect_out want
	# the token from standard input, newline included
	expect_exit 0 tg jwt verify --jwks $type.jwk - <$type.jwt
	expect_out want
done
# one JWK set with every key verifies every token
printf '{"keys":[%s,%s,%s,%s]}' "$(cat ed25519.jwk)" "$(cat ecdsa-p256.jwk)" \
	"$(cat ecdsa-p384.jwk)" "$(cat rsa-2048.jwk)" >set.json
for type in ed25519 ecdsa-p256 ecdsa-p384 rsa-2048; do
	expect_exit 0 tg jwt verify --jwks set.json - <$type.jwt
	expect_out want
done
