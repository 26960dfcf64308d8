# SPDX-License-Identifier: Apache-2.0
# Attacks on OIDC attestation, with tokens npm jose makes: wrong issuer,
# wrong audience, expired, future nbf, replayed, "alg":"none" (jose's
# UnsecuredJWT), HS256 keyed with the issuer's RSA public key (PEM bytes
# and the raw modulus: algorithm confusion), an unknown kid, a kid that is
# known but a signature by another key, selectors no entry matches, and a
# token for another repository id (same name). Each exits 1 with the reason
# and issues nothing; a control token passes.
. "$DATA/setup.inc"
ca_init
tg entry create --dir ca --spiffe-id spiffe://example.org/app \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main >/dev/null
jose keygens RS256:iss RS256:evil || fail "jose keygens"
kid=$(python3 -c "import json; print(json.load(open('iss.jwk'))['kid'])")
jose keygen RS256 evil2.jwk evil2.jwks "$kid" >/dev/null # the issuer's kid, another key
# the issuer's public key as the bytes an attacker would try as an HMAC secret
python3 - <<'PY' || fail "public key bytes"
import base64, json
k = json.load(open("iss.jwks"))["keys"][0]
open("iss.n", "wb").write(base64.urlsafe_b64decode(k["n"] + "=" * (-len(k["n"]) % 4)))
PY
node -e "const c=require('crypto');const j=JSON.parse(require('fs').readFileSync('iss.jwks')).keys[0];\
require('fs').writeFileSync('iss.pub.pem',c.createPublicKey({key:j,format:'jwk'}).export({type:'spki',format:'pem'}))" ||
	fail "public key PEM"
attack() { # REASON-REGEX TOKEN-FILE
	expect_exit 1 tg attest --dir ca --oidc-token "$2" --jwks iss.jwks --issuer "$GH_ISS" \
		--audience tollgate --profile github --x509-out out --jwt-aud x
	expect_err_match "^tollgate: attestation failed: .*($1)"
	expect_out /dev/null
	[ -e out ] && fail "token $2 wrote out/"
	true
}
# the tokens, made by jose in few runs (node starts slowly)
gh_claims c-iss.json '"iss": "https://token.actions.githubusercontent.com.evil.example"'
gh_claims c-aud.json '"aud": "https://github.com/acme"'
gh_claims c-exp.json "\"iat\": $((NOW - 900)), \"nbf\": $((NOW - 900)), \"exp\": $((NOW - 300))"
gh_claims c-nbf.json "\"nbf\": $((NOW + 3600)), \"exp\": $((NOW + 4000))"
gh_claims c-ok.json
gh_claims c-ref.json '"ref": "refs/heads/attacker"'
gh_claims c-rid.json '"repository_id": "987654321"'
gh_claims good.json
jose signs JWT iss.jwk:c-iss.json:t-iss iss.jwk:c-aud.json:t-aud iss.jwk:c-exp.json:t-exp \
	iss.jwk:c-nbf.json:t-nbf evil.jwk:c-ok.json:t-evil evil2.jwk:c-ok.json:t-evil2 \
	iss.jwk:c-ref.json:t-ref iss.jwk:c-rid.json:t-rid iss.jwk:good.json:good \
	iss.jwk:good.json:good-again || fail "jose signs"
jose unsecured c-ok.json "$kid" >t-none-kid || fail "jose unsecured"
jose unsecured c-ok.json >t-none || fail "jose unsecured"
jose hs256 iss.pub.pem c-ok.json "$kid" >t-hs-pem || fail "jose hs256"
jose hs256 iss.n c-ok.json "$kid" >t-hs-n || fail "jose hs256"

attack 'issuer .* is not' t-iss
attack 'audience .* is not' t-aud
attack 'token expired' t-exp
attack 'not valid before' t-nbf
attack "algorithm 'none'" t-none-kid
attack "algorithm 'none'" t-none
attack "algorithm 'HS256' not allowed" t-hs-pem
attack "algorithm 'HS256' not allowed" t-hs-n
attack 'no key with kid' t-evil
attack 'signature does not verify' t-evil2
attack 'no registration entry matches' t-ref
expect_err_match 'github:ref:refs/heads/attacker'
# a fork or a re-created repository has the same name but another id
attack 'no registration entry matches' t-rid
expect_err_match 'github:repository_id:987654321'
# the control: the same issuer and claims pass once, then are a replay
expect_exit 0 tg attest --dir ca --oidc-token good --jwks iss.jwks --issuer "$GH_ISS" \
	--audience tollgate --profile github --jwt-aud x
expect_out_match '^eyJ'
attack 'replayed' good
# the same claims signed again (the same jti) are a replay too
attack 'replayed' good-again
