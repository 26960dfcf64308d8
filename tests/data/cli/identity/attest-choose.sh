# SPDX-License-Identifier: Apache-2.0
# When entries for several SPIFFE IDs match, attest without output flags
# lists them all; issuing needs --spiffe-id to pick one (exit 2 without, the
# IDs named); an ID no matching entry names is refused (exit 1). Entries
# that need a selector the token lacks do not match.
. "$DATA/setup.inc"
ca_init
issuer_key issuer ecdsa-p384
tg entry create --dir ca --spiffe-id spiffe://example.org/build \
	--selector github:repository_id:123456789 >/dev/null
tg entry create --dir ca --spiffe-id spiffe://example.org/release \
	--selector github:repository_id:123456789 --selector github:ref:refs/heads/main >/dev/null
tg entry create --dir ca --spiffe-id spiffe://example.org/prod \
	--selector github:repository_id:123456789 --selector github:environment:prod >/dev/null
gh_token issuer t1
expect_exit 0 attest_gh t1
expect_out_match '^spiffe://example\.org/build$'
expect_out_match '^spiffe://example\.org/release$'
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "prod matched without environment:prod"
gh_token issuer t2
expect_exit 2 attest_gh t2 --x509-out out
expect_err_match "entries for 2 SPIFFE IDs match"
expect_err_match "spiffe://example\.org/build"
expect_err_match "choose one with --spiffe-id"
[ -e out/svid.pem ] && fail "wrote an SVID without a choice"
gh_token issuer t3
expect_exit 0 attest_gh t3 --spiffe-id spiffe://example.org/release --x509-out out --jwt-aud x
expect_exit 0 tg svid verify --bundle out/bundle.pem --x509 out/svid.pem
expect_out_line "spiffe://example.org/release"
gh_token issuer t4
expect_exit 1 attest_gh t4 --spiffe-id spiffe://example.org/prod --jwt-aud x
expect_err_match "not entitled to 'spiffe://example\.org/prod'"
expect_out /dev/null
gh_token issuer t5 '"ref": "refs/heads/feature", "environment": "prod"'
expect_exit 0 attest_gh t5
expect_out_match '^spiffe://example\.org/build$'
expect_out_match '^spiffe://example\.org/prod$'
grep -q release "$OUT" && fail "release matched a feature branch"
gh_token issuer t6
expect_exit 2 attest_gh t6 --spiffe-id 'spiffe://example.org/bad/' --jwt-aud x
expect_err_match "invalid SPIFFE ID"
true
