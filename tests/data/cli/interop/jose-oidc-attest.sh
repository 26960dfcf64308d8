# SPDX-License-Identifier: Apache-2.0
# tollgate attest accepts GitHub Actions-shaped OIDC tokens that npm jose
# signs (RS256, ES256, PS256), checked against the JWK set jose exports
# (kid = RFC 7638 thumbprint, alg pinned), and issues the entry's SVIDs;
# jose in turn verifies the JWT-SVIDs with the exported bundle (both ways).
. "$DATA/setup.inc"
ca_init
tg entry create --dir ca --spiffe-id spiffe://example.org/gh/acme/app/main \
	--selector github:repository_id:123456789 --selector github:repository_owner_id:42 \
	--selector github:ref:refs/heads/main --selector "github:iss:$GH_ISS" >/dev/null ||
	fail "entry create"
tg bundle export --dir ca --format jwks >ca.jwks
jose keygens RS256:gh-RS256 ES256:gh-ES256 PS256:gh-PS256 || fail "jose keygens"
specs=
for alg in RS256 ES256 PS256; do
	gh_claims c-$alg.json
	gh_claims d-$alg.json
	specs="$specs gh-$alg.jwk:c-$alg.json:t-$alg gh-$alg.jwk:d-$alg.json:u-$alg"
done
# shellcheck disable=SC2086
jose signs JWT $specs || fail "jose signs"
: >svids.jwt
for alg in RS256 ES256 PS256; do
	expect_exit 0 tg attest --dir ca --oidc-token t-$alg --jwks gh-$alg.jwks --issuer "$GH_ISS" \
		--audience tollgate --profile github --x509-out out-$alg --jwt-aud api.example.org \
		--verbose
	expect_err_match "^  github:repository_id:123456789$"
	expect_err_match "^  github:ref:refs/heads/main$"
	cat "$OUT" >>svids.jwt
	expect_exit 0 tg svid verify --bundle out-$alg/bundle.pem --x509 out-$alg/svid.pem
	expect_out_line "spiffe://example.org/gh/acme/app/main"
done
expect_exit 0 sh -c "node '$IOP/jose-tool.mjs' verify ca.jwks - api.example.org <svids.jwt"
[ "$(grep -c '"sub":"spiffe://example.org/gh/acme/app/main"' "$OUT")" -eq 3 ] ||
	fail "jose did not verify all three JWT-SVIDs"
# one JWK set holding all three keys: each token finds its key by kid
python3 -c "import json,sys; print(json.dumps({'keys': [json.load(open(f))['keys'][0] for f in sys.argv[1:]]}))" \
	gh-RS256.jwks gh-ES256.jwks gh-PS256.jwks >all.jwks
for alg in RS256 ES256 PS256; do
	expect_exit 0 tg attest --dir ca --oidc-token u-$alg --jwks all.jwks --issuer "$GH_ISS" \
		--audience tollgate --profile github
	expect_out_line "spiffe://example.org/gh/acme/app/main"
done
