# SPDX-License-Identifier: Apache-2.0
# tollgate verifies JWT-SVIDs that npm jose signs (RS256, ES256, PS256) with
# a SPIFFE bundle holding jose's public keys as JWT authorities: it prints
# the SPIFFE ID; it rejects (exit 1) a wrong audience, an expired token, a
# sub that is not a SPIFFE ID, and a token whose key the bundle lacks.
. "$DATA/setup.inc"
jose keygens RS256:RS256 ES256:ES256 PS256:PS256 ES256:stranger || fail "jose keygens"
jose spiffe-bundle bundle.json RS256.jwks ES256.jwks PS256.jwks || fail "spiffe-bundle"
claims() { # FILE SUB EXP
	printf '{"sub":"%s","aud":["api.example.org","other"],"exp":%d,"iat":%d}' \
		"$2" "$3" "$NOW" >"$1"
}
claims ok.json spiffe://example.org/ns/ci/sa/builder $((NOW + 300))
claims old.json spiffe://example.org/ns/ci/sa/builder $((NOW - 60))
claims notid.json 'https://example.org/builder' $((NOW + 300))
claims td.json spiffe://evil.example/x $((NOW + 300))
specs=stranger.jwk:ok.json:stranger.tok
for alg in RS256 ES256 PS256; do
	specs="$specs $alg.jwk:ok.json:$alg.ok $alg.jwk:old.json:$alg.old $alg.jwk:notid.json:$alg.notid"
done
# shellcheck disable=SC2086
jose signs JWT $specs ES256.jwk:td.json:td.tok || fail "jose signs"
# shellcheck disable=SC2086
jose signs - $(for alg in RS256 ES256 PS256; do echo $alg.jwk:ok.json:$alg.notyp; done) ||
	fail "jose signs without typ"
for alg in RS256 ES256 PS256; do
	expect_exit 0 tg svid verify --bundle bundle.json --jwt - --aud api.example.org <$alg.ok
	expect_out_line "spiffe://example.org/ns/ci/sa/builder"
	# no typ header is fine; the second audience of the array too
	expect_exit 0 tg svid verify --bundle bundle.json --jwt - --aud other <$alg.notyp
	expect_exit 1 tg svid verify --bundle bundle.json --jwt - --aud third <$alg.ok
	expect_err_match "^tollgate: JWT-SVID rejected: .*audience 'third'"
	expect_exit 1 tg svid verify --bundle bundle.json --jwt - --aud api.example.org <$alg.old
	expect_err_match 'rejected: .*token expired'
	expect_exit 1 tg svid verify --bundle bundle.json --jwt - --aud api.example.org <$alg.notid
	expect_err_match 'rejected: .*(SPIFFE|spiffe)'
done
expect_exit 1 tg svid verify --bundle bundle.json --jwt - --aud api.example.org <stranger.tok
expect_err_match 'rejected: .*kid'
# pinned to example.org, a token of another trust domain is refused
expect_exit 1 tg svid verify --bundle bundle.json --trust-domain example.org --jwt - \
	--aud api.example.org <td.tok
expect_err_match 'rejected: '
