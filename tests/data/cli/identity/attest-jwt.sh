# SPDX-License-Identifier: Apache-2.0
# attest --jwt-aud prints a JWT-SVID: header alg ES256 and the kid of the
# bundle's JWT key, typ JWT; claims sub, aud (a string for one audience, an
# array for several), exp = iat + the entry's TTL (default 5 minutes), a
# jti. `jwt verify` with the exported JWKS and `svid verify` accept it.
need python3
. "$DATA/setup.inc"
ca_init
issuer_key issuer rsa-2048
tg entry create --dir ca --spiffe-id spiffe://example.org/ci/app \
	--selector github:repository_id:123456789 --selector github:repository:acme/app \
	>/dev/null || fail "entry create"
tg entry create --dir ca --spiffe-id spiffe://example.org/ci/short \
	--selector github:repository_id:555 --jwt-ttl 2m >/dev/null || fail "entry create"
tg bundle export --dir ca --format jwks >jwt.jwks
tg bundle export --dir ca >bundle.json
gh_token issuer t1
expect_exit 0 attest_gh t1 --jwt-aud deploy.example.org
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "not one line"
tok=$(cat "$OUT")
kid=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['keys'][0]['kid'])" jwt.jwks)
python3 - "$tok" "$kid" 300 <<'PY' || fail "JWT-SVID shape"
import base64, json, sys
def part(s):
    return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
h, c = (part(p) for p in sys.argv[1].split(".")[:2])
assert h == {"alg": "ES256", "kid": sys.argv[2], "typ": "JWT"}, h
assert c["sub"] == "spiffe://example.org/ci/app", c
assert c["aud"] == "deploy.example.org", c
assert c["exp"] - c["iat"] == int(sys.argv[3]), c
assert isinstance(c["jti"], str) and len(c["jti"]) >= 16, c
PY
expect_exit 0 tg jwt verify --jwks jwt.jwks --aud deploy.example.org "$tok"
expect_exit 0 tg svid verify --bundle bundle.json --jwt "$tok" --aud deploy.example.org
expect_out_line "spiffe://example.org/ci/app"
# several audiences; another entry's TTL
gh_token issuer t2 '"repository": "acme/short", "repository_id": "555"'
expect_exit 0 attest_gh t2 --jwt-aud a.example --jwt-aud b.example
python3 - "$(cat "$OUT")" <<'PY' || fail "two audiences / 2m TTL"
import base64, json, sys
p = sys.argv[1].split(".")[1]
c = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
assert c["aud"] == ["a.example", "b.example"], c
assert c["exp"] - c["iat"] == 120, c
assert c["sub"] == "spiffe://example.org/ci/short"
PY
# both outputs at once
gh_token issuer t3
expect_exit 0 attest_gh t3 --jwt-aud x --x509-out out
[ -s out/svid.pem ] || fail "no svid.pem"
expect_out_match '^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'
