# SPDX-License-Identifier: Apache-2.0
# npm jose verifies the JWT-SVIDs tollgate issues (ES256 from a P-256 CA,
# ES384 from a P-384 one) with the JWK set of `bundle export --format jwks`:
# signature, kid, aud, exp, sub; and after `ca rotate` both the old and the
# new JWT-SVID. jose refuses a wrong audience (the check is real).
# (jose ignores keys whose "use" is not "sig", so it cannot read the SPIFFE
# bundle's "jwt-svid" keys: that is what --format jwks is for.)
. "$DATA/setup.inc"
check() { # KEYTYPE ALG
	rm -rf ca
	ca_init ca example.org "$1"
	tg entry create --dir ca --spiffe-id spiffe://example.org/ci/app \
		--selector join:label:ci >/dev/null || fail "entry create"
	jt=$(tg jointoken create --dir ca --label ci 2>/dev/null)
	tg attest --dir ca --join-token "$jt" --jwt-aud api.example.org >svid.jwt || fail "attest"
	tg bundle export --dir ca --format jwks >jwt.jwks || fail "bundle export"
	expect_exit 0 jose verify jwt.jwks "$(cat svid.jwt)" api.example.org
	python3 - "$OUT" "$2" <<'PY' || fail "jose's view of the $2 JWT-SVID"
import json, sys
v = json.load(open(sys.argv[1]))
assert v["header"]["alg"] == sys.argv[2], v
assert v["payload"]["sub"] == "spiffe://example.org/ci/app", v
assert v["payload"]["aud"] == "api.example.org", v
PY
	expect_exit 1 jose verify jwt.jwks "$(cat svid.jwt)" other.example.org
	expect_err_match 'aud'
}
check ecdsa-p256 ES256
check ecdsa-p384 ES384
# rotation: the bundle carries both keys; jose picks each token's by kid
jt=$(tg jointoken create --dir ca --label ci 2>/dev/null)
tg ca rotate --dir ca >/dev/null || fail "ca rotate"
tg attest --dir ca --join-token "$jt" --jwt-aud api.example.org >new.jwt || fail "attest"
tg bundle export --dir ca --format jwks >jwt.jwks
expect_exit 0 jose verify jwt.jwks "$(cat svid.jwt)" api.example.org
expect_exit 0 jose verify jwt.jwks "$(cat new.jwt)" api.example.org
